package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/plugins"
)

// providersFile is the shape of the identity providers file (YAML or JSON):
//
//	providers:
//	  - name: google
//	    plugin: ./bin/sentinel-plugin-google
//	    sha256: 3f1c…            # of the binary; required
//	    timeout: 5s
//	    settings: {client_ids: ["….apps.googleusercontent.com"], hd: ["example.com"]}
//	    login:                   # optional: proxy-mode and admin login (login.Config)
//	      client_id: "….apps.googleusercontent.com"
//	      client_secret_env: GOOGLE_CLIENT_SECRET
//	      issuer: https://accounts.google.com
type providersFile struct {
	Providers []json.RawMessage `json:"providers"`
}

// Providers is what the providers file configures: the verifier plugins
// and the login blocks of those that have one.
type Providers struct {
	Plugins []plugins.ProviderConfig
	Logins  []login.Config
}

// LoadProviders reads the identity providers file's verifier plugins. A
// relative plugin path is taken relative to the file's directory.
func LoadProviders(path string) ([]plugins.ProviderConfig, error) {
	p, err := LoadProvidersFile(path, nil)
	return p.Plugins, err
}

// LoadProvidersFile reads the identity providers file: every provider's
// plugin and its login block, checked (login.CheckConfigs; getenv reads
// client_secret_env, os.Getenv when nil). A login block's client_id must
// be among its plugin's settings.client_ids when the plugin has that
// setting: the plugin would refuse the ID tokens of any other client.
func LoadProvidersFile(path string, getenv func(string) string) (Providers, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Providers{}, fmt.Errorf("read providers file: %w", err)
	}
	// YAML is a superset of JSON: decode either, then let the JSON
	// decoders (durations, unknown fields) do the typing.
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Providers{}, fmt.Errorf("providers file %s: %w", path, err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return Providers{}, fmt.Errorf("providers file %s: %w", path, err)
	}
	var f providersFile
	if err := strict(js, &f); err != nil {
		return Providers{}, fmt.Errorf("providers file %s: %w", path, err)
	}
	var out Providers
	dir := filepath.Dir(path)
	for _, entry := range f.Providers {
		p, l, err := provider(entry)
		if err != nil {
			return Providers{}, fmt.Errorf("providers file %s: %w", path, err)
		}
		if p.Plugin != "" && !filepath.IsAbs(p.Plugin) {
			p.Plugin = filepath.Join(dir, p.Plugin)
		}
		out.Plugins = append(out.Plugins, p)
		if l != nil {
			out.Logins = append(out.Logins, *l)
		}
	}
	if err := login.CheckConfigs(out.Logins, getenv); err != nil {
		return Providers{}, fmt.Errorf("providers file %s: %w", path, err)
	}
	return out, nil
}

// providerKeys are the keys of a provider entry besides login.
var providerKeys = []string{"name", "plugin", "sha256", "timeout", "settings"}

// provider splits one entry into its plugin config and its login block.
func provider(entry json.RawMessage) (plugins.ProviderConfig, *login.Config, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(entry, &fields); err != nil {
		return plugins.ProviderConfig{}, nil, err
	}
	loginRaw, hasLogin := fields["login"]
	delete(fields, "login")
	// ProviderConfig decodes itself (durations), which a decoder's
	// DisallowUnknownFields does not reach: check its keys here.
	for k := range fields {
		if !slices.Contains(providerKeys, k) {
			return plugins.ProviderConfig{}, nil, fmt.Errorf("provider: unknown field %q", k)
		}
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return plugins.ProviderConfig{}, nil, err
	}
	var p plugins.ProviderConfig
	if err := strict(rest, &p); err != nil {
		return plugins.ProviderConfig{}, nil, err
	}
	if !hasLogin {
		return p, nil, nil
	}
	var l login.Config
	if err := strict(loginRaw, &l); err != nil {
		return plugins.ProviderConfig{}, nil, fmt.Errorf("provider %q: login: %w", p.Name, err)
	}
	l.Provider = p.Name
	if ids, ok := p.Settings["client_ids"].([]any); ok && !slices.Contains(ids, any(l.ClientID)) {
		return plugins.ProviderConfig{}, nil, fmt.Errorf("provider %q: login: client_id %q is not among the plugin's settings.client_ids", p.Name, l.ClientID)
	}
	return p, &l, nil
}

// strict decodes JSON refusing unknown fields.
func strict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
