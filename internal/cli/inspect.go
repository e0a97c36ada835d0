package cli

import "github.com/spf13/cobra"

func newInspectCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "inspect FILE...", Short: "Read statement files and report what they hold; writes nothing"}
}
