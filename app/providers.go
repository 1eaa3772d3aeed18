package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

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
type providersFile struct {
	Providers []plugins.ProviderConfig `json:"providers"`
}

// LoadProviders reads the identity providers file. A relative plugin path
// is taken relative to the file's directory.
func LoadProviders(path string) ([]plugins.ProviderConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read providers file: %w", err)
	}
	// YAML is a superset of JSON: decode either, then let the JSON
	// decoders (durations, unknown fields) do the typing.
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("providers file %s: %w", path, err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("providers file %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var f providersFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("providers file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i, p := range f.Providers {
		if p.Plugin != "" && !filepath.IsAbs(p.Plugin) {
			f.Providers[i].Plugin = filepath.Join(dir, p.Plugin)
		}
	}
	return f.Providers, nil
}
