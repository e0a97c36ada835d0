package cli

import (
	"os"
	"os/user"
)

// actor is who the audit log says made a change from the command line:
// BANKFEED_ACTOR when set (an accountant working under a client's name),
// else the operating-system user.
func actor() string {
	if a := os.Getenv("BANKFEED_ACTOR"); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
