package main

import (
	"testing"

	"github.com/spf13/pflag"
)

func TestBindEnv(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"default", nil, nil, ":9003", false},
		{"env", nil, map[string]string{"SENTINEL_ADDR": ":7000"}, ":7000", false},
		{"flag wins over env", []string{"--addr", ":8000"}, map[string]string{"SENTINEL_ADDR": ":7000"}, ":8000", false},
		{"bad env value", nil, map[string]string{"SENTINEL_POLL_INTERVAL": "soon"}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			addr := fs.String("addr", ":9003", "")
			fs.Duration("poll-interval", 0, "")
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := bindEnv(fs)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil || *addr != tc.want {
				t.Fatalf("addr = %q, err %v; want %q", *addr, err, tc.want)
			}
		})
	}
	if got := envName("max-body-bytes"); got != "SENTINEL_MAX_BODY_BYTES" {
		t.Fatalf("envName = %s", got)
	}
}
