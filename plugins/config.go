package plugins

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds one Verify call when ProviderConfig.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// ProviderConfig configures one identity provider served by a plugin.
type ProviderConfig struct {
	// Name is what callers pass to Host.Verify ("google", "entra_id", …)
	// and what the returned Identity.Provider says.
	Name string `json:"name"`
	// Plugin is the path of the plugin binary.
	Plugin string `json:"plugin"`
	// SHA256 is the hex SHA-256 of the binary. Required: the host refuses
	// to start a binary that does not match it.
	SHA256 string `json:"sha256"`
	// Timeout bounds each Verify call (DefaultTimeout when 0).
	Timeout time.Duration `json:"timeout"`
	// Settings is passed to the plugin's Configure as a JSON object.
	Settings map[string]any `json:"settings"`
}

// UnmarshalJSON reads a ProviderConfig whose timeout is a Go duration
// string ("5s", "1500ms") as config files write it.
func (c *ProviderConfig) UnmarshalJSON(b []byte) error {
	type plain ProviderConfig
	var aux struct {
		plain
		Timeout string `json:"timeout"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*c = ProviderConfig(aux.plain)
	c.Timeout = 0
	if aux.Timeout != "" {
		d, err := time.ParseDuration(aux.Timeout)
		if err != nil {
			return fmt.Errorf("provider %q: timeout: %w", aux.Name, err)
		}
		c.Timeout = d
	}
	return nil
}

// MarshalJSON writes the timeout as a duration string, the form
// UnmarshalJSON reads.
func (c ProviderConfig) MarshalJSON() ([]byte, error) {
	type plain ProviderConfig
	aux := struct {
		plain
		Timeout string `json:"timeout,omitempty"`
	}{plain: plain(c)}
	if c.Timeout != 0 {
		aux.Timeout = c.Timeout.String()
	}
	return json.Marshal(aux)
}

var providerName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,62}$`)

// checked is a ProviderConfig that passed validation, with its derived
// values.
type checked struct {
	ProviderConfig
	path     string // absolute path of the binary
	checksum []byte
	settings json.RawMessage
}

// check validates c and fills in defaults.
func (c ProviderConfig) check() (checked, error) {
	if !providerName.MatchString(c.Name) {
		return checked{}, fmt.Errorf("provider name %q: want lower-case letters, digits, '_', '.', '-'", c.Name)
	}
	if c.Plugin == "" {
		return checked{}, fmt.Errorf("provider %q: plugin path is required", c.Name)
	}
	path, err := filepath.Abs(c.Plugin)
	if err != nil {
		return checked{}, fmt.Errorf("provider %q: plugin path %q: %w", c.Name, c.Plugin, err)
	}
	if c.SHA256 == "" {
		return checked{}, fmt.Errorf("provider %q: sha256 of the plugin binary is required (sha256sum %s)", c.Name, c.Plugin)
	}
	sum, err := hex.DecodeString(strings.TrimSpace(c.SHA256))
	if err != nil || len(sum) != 32 {
		return checked{}, fmt.Errorf("provider %q: sha256 %q is not 64 hex digits", c.Name, c.SHA256)
	}
	switch {
	case c.Timeout < 0:
		return checked{}, fmt.Errorf("provider %q: negative timeout %s", c.Name, c.Timeout)
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	}
	settings := json.RawMessage("{}")
	if c.Settings != nil {
		if settings, err = json.Marshal(c.Settings); err != nil {
			return checked{}, fmt.Errorf("provider %q: encode settings: %w", c.Name, err)
		}
	}
	return checked{ProviderConfig: c, path: path, checksum: sum, settings: settings}, nil
}

// checkAll validates every config and refuses duplicate names.
func checkAll(configs []ProviderConfig) ([]checked, error) {
	seen := map[string]bool{}
	out := make([]checked, 0, len(configs))
	for _, c := range configs {
		cc, err := c.check()
		if err != nil {
			return nil, err
		}
		if seen[cc.Name] {
			return nil, fmt.Errorf("provider %q configured twice", cc.Name)
		}
		seen[cc.Name] = true
		out = append(out, cc)
	}
	return out, nil
}
