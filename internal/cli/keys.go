package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
)

func init() { extraCommands = append(extraCommands, newKeyCmd) }

// The key's environment variables, as internal/secret reads them.
const (
	envKey     = "BANKFEED_KEY"
	envKeyFile = "BANKFEED_KEY_FILE"
)

// keyFileName is the key file's name in bankfeed's configuration directory.
const keyFileName = "key"

// defaultKeyFile is where the sealing key lives when neither BANKFEED_KEY nor
// BANKFEED_KEY_FILE is set: $XDG_CONFIG_HOME/bankfeed/key, else
// ~/.config/bankfeed/key. It is kept apart from the data directory on
// purpose: a copy of the database (a backup, a synced folder) then holds
// sealed passwords without the key that opens them.
func defaultKeyFile() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "bankfeed", keyFileName), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", bankfeed.Errorf(bankfeed.EInvalid,
			"no home directory for the key file: set %s to a key file, or XDG_CONFIG_HOME", envKeyFile)
	}
	return filepath.Join(home, ".config", "bankfeed", keyFileName), nil
}

// loadKey returns the key that seals and opens connection passwords:
// BANKFEED_KEY, else the file BANKFEED_KEY_FILE names, else the default key
// file, created on first use.
func loadKey() (*secret.Key, error) {
	path := ""
	if os.Getenv(envKey) == "" && os.Getenv(envKeyFile) == "" {
		var err error
		if path, err = defaultKeyFile(); err != nil {
			return nil, err
		}
	}
	return secret.LoadKey(secret.KeyOptions{Getenv: os.Getenv, DefaultPath: path})
}

// keySource says where loadKey takes the key from, and whether that file
// exists yet.
func keySource() (where string, exists bool, err error) {
	if os.Getenv(envKey) != "" {
		return "the environment variable " + envKey, true, nil
	}
	path := os.Getenv(envKeyFile)
	from := " (from " + envKeyFile + ")"
	if path == "" {
		if path, err = defaultKeyFile(); err != nil {
			return "", false, err
		}
		from = ""
	}
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path + from, false, nil
	}
	return path + from, true, nil
}

const keyLong = `Key shows where the key that seals connection passwords comes from, and its
ID (a fingerprint, safe to show). The key is looked for in this order:

  BANKFEED_KEY        the key itself, base64 of 32 bytes
  BANKFEED_KEY_FILE   a file holding that (never created by bankfeed)
  default             $XDG_CONFIG_HOME/bankfeed/key, else ~/.config/bankfeed/key,
                      created (mode 0600) by the first connect

The default key is kept apart from the data directory, so that a copy of
the database holds sealed passwords without the key that opens them. Back
the key up with your other secrets: without it, saved passwords cannot be
opened, and each connection needs its password again
(bankfeed connection password NAME). A key file that group or others can
read is refused.`

func newKeyCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "key",
		Short: "Show where the key that seals bank passwords is kept",
		Long:  keyLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			where, exists, err := keySource()
			if err != nil {
				return err
			}
			if !exists {
				_, err := fmt.Fprintf(e.stdout, "key: %s\nNot created yet: the first bankfeed connect creates it.\n", where)
				return err
			}
			k, err := loadKey()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "key: %s\nid: %s\n", where, k.ID())
			return err
		},
	}
}
