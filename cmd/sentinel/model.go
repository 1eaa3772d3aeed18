package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/engine/compiler"
	"github.com/sentinel-auth/sentinel/model"
)

// newModel groups offline model tools.
func newModel() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Validate and compile authorization models"}
	var (
		depth   int
		service string
		asJSON  bool
	)
	compile := &cobra.Command{
		Use:   "compile FILE",
		Short: "Validate an OpenFGA model (DSL, or JSON with --json) and print the Rego it compiles to",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var m *model.Model
			if asJSON {
				m, err = model.ParseJSON(src)
			} else {
				m, err = model.ParseDSL(string(src))
			}
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fast, careful, err := engine.Compile(service, m, depth)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, "# ---- fast variant: evaluated first ----")
			fmt.Fprint(out, fast.Module)
			fmt.Fprintln(out, "\n# ---- careful variant: tracks cycles; used when the fast one reaches the depth limit ----")
			fmt.Fprint(out, careful.Module)
			fmt.Fprintf(cmd.ErrOrStderr(), "%d + %d functions\n", fast.Functions, careful.Functions)
			return nil
		},
	}
	compile.Flags().IntVar(&depth, "max-depth", compiler.DefaultMaxDepth, "resolution depth the code is unrolled to")
	compile.Flags().StringVar(&service, "service", "SERVICE_ID", "service id baked into data references")
	compile.Flags().BoolVar(&asJSON, "json", false, "FILE is the model's JSON form")
	cmd.AddCommand(compile)
	return cmd
}
