package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/plugins"
)

const (
	tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tenantB = "11111111-2222-3333-4444-555555555555"
)

func TestSettingsIssuers(t *testing.T) {
	cases := []struct {
		s                settings
		issuer, disc, ok string // ok: "" when an error is expected
	}{
		{settings{}, "https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/common/v2.0", "y"},
		{settings{DiscoveryTenant: "organizations", BaseURL: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080/{tenantid}/v2.0", "http://127.0.0.1:8080/organizations/v2.0", "y"},
		{settings{DiscoveryTenant: strings.ToUpper(tenantA)}, "https://login.microsoftonline.com/" + tenantA + "/v2.0", "https://login.microsoftonline.com/" + tenantA + "/v2.0", "y"},
		{settings{DiscoveryTenant: "consumers"}, "", "", ""},
		{settings{DiscoveryTenant: "../common"}, "", "", ""},
	}
	for _, tc := range cases {
		iss, disc, err := tc.s.issuers()
		if (err == nil) != (tc.ok != "") || iss != tc.issuer || disc != tc.disc {
			t.Errorf("%+v: (%q, %q, %v), want (%q, %q)", tc.s, iss, disc, err, tc.issuer, tc.disc)
		}
	}
}

func TestSettingsAllowlist(t *testing.T) {
	cases := []struct {
		name string
		s    settings
		want []string // nil with wantErr false: any tenant
		err  string
	}{
		{"multi-tenant needs a list", settings{}, nil, "tenants is required"},
		{"any tenant said explicitly", settings{Tenants: []string{"*"}}, nil, ""},
		{"listed tenants", settings{Tenants: []string{strings.ToUpper(tenantA), tenantB}}, []string{tenantA, tenantB}, ""},
		{"not a GUID", settings{Tenants: []string{"contoso.com"}}, nil, "not a tenant id"},
		{"single tenant defaults to itself", settings{DiscoveryTenant: tenantA}, []string{tenantA}, ""},
		{"single tenant with * is still itself", settings{DiscoveryTenant: tenantA, Tenants: []string{"*"}}, []string{tenantA}, ""},
		{"single tenant must be listed", settings{DiscoveryTenant: tenantA, Tenants: []string{tenantB}}, nil, "must include the discovery tenant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.allowlist()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") || (got == nil) != (tc.want == nil) {
				t.Fatalf("(%v, %v), want %v", got, err, tc.want)
			}
		})
	}
}

func TestCheckTenant(t *testing.T) {
	cases := []struct {
		allowed []string
		tid     any
		ok      bool
	}{
		{[]string{tenantA}, tenantA, true},
		{[]string{tenantA}, strings.ToUpper(tenantA), true},
		{[]string{tenantA}, tenantB, false},
		{nil, tenantB, true},
		{nil, nil, false},
		{nil, "common", false},
		{nil, 42.0, false},
	}
	for _, tc := range cases {
		err := checkTenant(tc.allowed, map[string]any{"tid": tc.tid})
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, plugins.ErrInvalidToken)) {
			t.Errorf("allowed %v, tid %v: %v", tc.allowed, tc.tid, err)
		}
	}
}

func TestConfigureMultiTenant(t *testing.T) {
	v := &verifier{}
	err := v.Configure([]byte(`{"client_ids":["app"],"tenants":["` + tenantA + `"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&verifier{}).Configure([]byte(`{"client_ids":["app"]}`)); err == nil {
		t.Fatal("multi-tenant without a tenant allowlist was accepted")
	}
}
