// Command temblor runs Tremor 0.11 deployments; see internal/cli.
package main

import (
	"os"

	"github.com/temblor-dev/temblor/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
