package logtest

import (
	"fmt"
	"testing"
)

func TestScanFindsSecrets(t *testing.T) {
	before, _ := Scan() // the journal is the binary's: count only what this run adds
	Logger().Info("calling", "url", "https://api.example/waInstance1/sendMessage/***")
	fmt.Fprintln(Writer(), `{"msg":"child","token":"s3cret-token"}`)
	lines, leaks := Scan("s3cret-token", "", "never-logged")
	if lines != before+2 {
		t.Fatalf("scanned %d lines, want %d", lines, before+2)
	}
	var fresh []Leak
	for _, l := range leaks {
		if l.Line > before {
			fresh = append(fresh, l)
		}
	}
	if len(fresh) != 1 || fresh[0].Secret != 0 || fresh[0].Line != lines {
		t.Fatalf("leaks = %+v, want the child's line (%d) for secret #1", fresh, lines)
	}
}
