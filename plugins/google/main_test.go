package main

import (
	"errors"
	"testing"

	"github.com/sentinel-auth/sentinel/plugins"
)

func TestCheckHD(t *testing.T) {
	cases := []struct {
		allowed []string
		hd      any
		ok      bool
	}{
		{nil, nil, true},
		{nil, "any.com", true},
		{[]string{"example.com"}, "example.com", true},
		{[]string{"example.com"}, "EXAMPLE.com", true},
		{[]string{"example.com"}, "evil-example.com", false},
		{[]string{"example.com"}, nil, false},
		{[]string{"example.com"}, "", false},
		{[]string{"example.com"}, []any{"example.com"}, false},
	}
	for _, tc := range cases {
		err := checkHD(tc.allowed, map[string]any{"hd": tc.hd})
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, plugins.ErrInvalidToken)) {
			t.Errorf("allowed %v, hd %v: %v", tc.allowed, tc.hd, err)
		}
	}
}

func TestConfigure(t *testing.T) {
	v := &verifier{}
	if err := v.Configure([]byte(`{"client_ids":["x.apps.googleusercontent.com"],"hd":["Example.com"]}`)); err != nil {
		t.Fatal(err)
	}
	if len(v.hd) != 1 || v.hd[0] != "example.com" {
		t.Fatalf("hd %v", v.hd)
	}
	if err := (&verifier{}).Configure([]byte(`{"client_ids":["x"],"hd":[" "]}`)); err == nil {
		t.Fatal("an empty hd domain was accepted")
	}
}
