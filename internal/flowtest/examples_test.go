package flowtest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowctl/flowctl/internal/diagfmt"
	"github.com/flowctl/flowctl/internal/flowtest"
)

// TestExamples runs every examples/**/*.flowtest.hcl: the examples must
// keep passing their own tests, and every scenario must have some.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	suite, err := flowtest.Load([]string{root}, flowtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(suite.Diags) > 0 {
		var b strings.Builder
		diagfmt.Text(&b, suite.Diags, suite.Sources, diagfmt.Options{})
		t.Fatalf("example tests do not load cleanly:\n%s", b.String())
	}
	dirs := map[string]int{}
	for _, f := range suite.Files {
		dirs[filepath.Dir(f.Path)] += len(f.Tests)
	}
	scenarios, _ := filepath.Glob(filepath.Join(root, "*", "README.md"))
	for _, readme := range scenarios {
		if dirs[filepath.Dir(readme)] == 0 {
			t.Errorf("%s has no flow tests (*.flowtest.hcl)", filepath.Dir(readme))
		}
	}
	for _, test := range suite.Selected {
		t.Run(filepath.Base(filepath.Dir(test.File))+"/"+test.Name, func(t *testing.T) {
			r := flowtest.RunTest(context.Background(), test)
			if !r.Passed() {
				var b strings.Builder
				flowtest.WriteResult(&b, r, flowtest.TextOptions{})
				t.Errorf("\n%s", b.String())
			}
		})
	}
}
