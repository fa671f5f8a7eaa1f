package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/frontdesk-bot/frontdesk"

// imports returns the packages of this module that the non-test files of
// dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range parsed.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			if rest, ok := strings.CutPrefix(path, module+"/"); ok && !slices.Contains(out, rest) {
				out = append(out, rest)
			}
		}
	}
	return out
}

// reach returns every package of this module that pkg depends on.
func reach(t *testing.T, pkg string) map[string]bool {
	seen := map[string]bool{}
	next := []string{pkg}
	for len(next) > 0 {
		p := next[len(next)-1]
		next = next[:len(next)-1]
		for _, dep := range imports(t, p) {
			if !seen[dep] {
				seen[dep] = true
				next = append(next, dep)
			}
		}
	}
	return seen
}

// TestLayers is issue #23's proof: the conversation (bot) sits on the work
// machinery (queue) and the discipline of Green API calls
// (greenapi/pacing); neither lower layer reaches a higher one, and only
// package main wires them.
func TestLayers(t *testing.T) {
	if _, err := os.Stat("queue"); err != nil {
		t.Fatal(err)
	}
	never := map[string][]string{
		"greenapi/pacing": {"bot", "queue", "store/sqlite", "store/postgres", "handlers", "events", "sandbox"},
		"queue":           {"bot", "store/sqlite", "store/postgres", "handlers", "events", "sandbox"},
		"bot":             {"store/sqlite", "store/postgres", "handlers", "events", "sandbox"},
		"greenapi":        {"greenapi/pacing", "queue", "bot"},
	}
	for pkg, forbidden := range never {
		deps := reach(t, pkg)
		for _, f := range forbidden {
			if deps[f] {
				t.Errorf("%s depends on %s: a lower layer must not know a higher one", pkg, f)
			}
		}
	}
	if deps := reach(t, "bot"); !deps["queue"] || !deps["greenapi/pacing"] {
		t.Errorf("bot depends on %v; want it on queue and greenapi/pacing", deps)
	}
}
