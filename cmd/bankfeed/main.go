// Command bankfeed is the bankfeed engine: bank feeds that diagnose their own
// failures. See `bankfeed help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bankfeed/bankfeed/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
