// Command render prints the objects of a kustomization as YAML, like
// `kustomize build`, with the kustomize library the tests use (so
// validate.sh needs no separately built kustomize).
//
//	go run ./deploy/k8s/render deploy/k8s
package main

import (
	"flag"
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	loose := flag.Bool("load-restrictor-none", false, "allow files outside the kustomization's directory")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render [--load-restrictor-none] DIR")
		os.Exit(2)
	}
	opts := krusty.MakeDefaultOptions()
	if *loose {
		opts.LoadRestrictions = types.LoadRestrictionsNone
	}
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), flag.Arg(0))
	if err == nil {
		var out []byte
		if out, err = res.AsYaml(); err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
