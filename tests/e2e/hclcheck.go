// hclcheck FILE - parse FILE with HashiCorp's own HCL 2 parser (Debian's
// golang-github-hashicorp-hcl-v2-dev, built in GOPATH mode by
// tests/e2e/test_export.sh) and print each attribute as
// "block.label...attr = JSON value", so the test sees what Nomad would
// read: the quoted strings after unescaping ("%%{" back to "%{").  Exits 1
// with the parser's message when the file is not valid HCL, or when a
// value is not a literal (berth writes no expression).
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func walk(prefix string, body *hclsyntax.Body) error {
	names := make([]string, 0, len(body.Attributes))
	for n := range body.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := body.Attributes[n]
		if len(a.Expr.Variables()) > 0 {
			return fmt.Errorf("%s.%s: not a literal", prefix, n)
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return fmt.Errorf("%s.%s: %s", prefix, n, diags.Error())
		}
		j, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
		if err != nil {
			return err
		}
		fmt.Printf("%s.%s = %s\n", prefix, n, j)
	}
	for _, b := range body.Blocks {
		p := strings.Join(append([]string{prefix, b.Type}, b.Labels...), ".")
		if err := walk(strings.TrimPrefix(p, "."), b.Body); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	f, diags := hclsyntax.ParseConfig(src, os.Args[1], hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, diags.Error())
		os.Exit(1)
	}
	if err := walk("", f.Body.(*hclsyntax.Body)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
