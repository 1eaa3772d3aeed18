package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
)

func TestLoadProvidersFileLogin(t *testing.T) {
	t.Parallel()
	const sum = "abababababababababababababababababababababababababababababababab"
	head := "providers:\n  - name: corp\n    plugin: bin/oidc\n    sha256: " + sum + "\n    settings: {issuer: https://idp.example, client_ids: [web]}\n"
	env := map[string]string{"CORP_SECRET": "s3cr3t"}
	cases := []struct {
		name, doc string
		want      string // error substring; "" for valid
		logins    int
	}{
		{"no login block", head, "", 0},
		{"login block", head + "    login: {client_id: web, client_secret_env: CORP_SECRET, issuer: https://idp.example}\n", "", 1},
		{"unknown login field", head + "    login: {client_id: web, client_secret_env: CORP_SECRET, issuer: https://idp.example, redirect: x}\n",
			`unknown field "redirect"`, 0},
		{"client_id the plugin refuses", head + "    login: {client_id: other, client_secret_env: CORP_SECRET, issuer: https://idp.example}\n",
			"not among the plugin's settings.client_ids", 0},
		{"secret env unset", head + "    login: {client_id: web, client_secret_env: NOPE, issuer: https://idp.example}\n", "NOPE", 0},
		{"unknown provider field", head + "    logins: {}\n", `unknown field "logins"`, 0},
	}
	for _, tc := range cases {
		path := filepath.Join(t.TempDir(), "providers.yaml")
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := app.LoadProvidersFile(path, func(k string) string { return env[k] })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "s3cr3t"):
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		case err == nil:
			if len(p.Plugins) != 1 || p.Plugins[0].Plugin != filepath.Join(filepath.Dir(path), "bin/oidc") || len(p.Logins) != tc.logins {
				t.Errorf("%s: %+v", tc.name, p)
			}
			if tc.logins == 1 && (p.Logins[0].Provider != "corp" || p.Logins[0].ClientID != "web") {
				t.Errorf("%s: login %+v", tc.name, p.Logins[0])
			}
		}
	}
}
