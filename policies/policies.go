// Package policies holds Sentinel's built-in Rego policies, embedded in the
// binary. They are plain Rego v1 modules so a security team can read, test
// and extend them with `opa test`.
package policies

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed *.rego
var files embed.FS

// Modules returns the built-in modules, keyed by file name, excluding tests.
func Modules() (map[string]string, error) {
	names, err := fs.Glob(files, "*.rego")
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	mods := make(map[string]string, len(names))
	for _, name := range names {
		if len(name) > len("_test.rego") && name[len(name)-len("_test.rego"):] == "_test.rego" {
			continue
		}
		src, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read policy %q: %w", name, err)
		}
		mods[name] = string(src)
	}
	return mods, nil
}
