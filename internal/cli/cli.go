// Package cli holds bankfeed's subcommands. It is the only place that wires
// concrete types (store, readers, importers) together.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1 // a command failed, or a file was rejected
	exitUsage    = 2 // bad flags or arguments
	exitInternal = 3
)

// env is what every command shares: streams and the effective configuration.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            Config
}

// Config is the effective configuration: defaults < BANKFEED_* environment <
// flags.
type Config struct {
	DataDir string `json:"data_dir"`
}

// exitError carries an exit status through cobra without printing twice.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// Main runs bankfeed with args and returns the process exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "bankfeed:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "bankfeed:", err)
	var be *bankfeed.Error
	if errors.As(err, &be) && be.Code == bankfeed.EInternal {
		return exitInternal
	}
	return exitFailure
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "bankfeed",
		Short:         "Bank feeds that keep your books current and say why when a bank fails",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if e.cfg.DataDir == "" {
				e.cfg.DataDir = defaultDataDir()
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&e.cfg.DataDir, "data-dir", os.Getenv("BANKFEED_DATA_DIR"),
		"where bankfeed keeps its database (env BANKFEED_DATA_DIR; default $XDG_DATA_HOME/bankfeed)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(
		newInspectCmd(e),
		newErrorsCmd(e),
		newReconcileCmd(e),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(e))
	}
	// Runnable, so that an unknown command is an argument error, not help.
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	usageArgs(root)
	return root
}

// usageArgs makes every command's argument errors exit with exitUsage.
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// extraCommands lets each command file register itself.
var extraCommands []func(*env) *cobra.Command

// defaultDataDir is $XDG_DATA_HOME/bankfeed, else ~/.local/share/bankfeed.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "bankfeed")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(".", ".bankfeed")
	}
	return filepath.Join(home, ".local", "share", "bankfeed")
}
