// Command spcloud is the systemprompt.io Cloud client.
package main

import (
	"os"

	"github.com/spcloud/spcloud/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
