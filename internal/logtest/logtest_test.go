package logtest

import (
	"fmt"
	"testing"
)

func TestScanFindsSecrets(t *testing.T) {
	Logger().Info("calling", "url", "https://api.example/waInstance1/sendMessage/***")
	fmt.Fprintln(Writer(), `{"msg":"child","token":"s3cret-token"}`)
	lines, leaks := Scan("s3cret-token", "", "never-logged")
	if lines < 2 {
		t.Fatalf("scanned %d lines, want at least 2", lines)
	}
	if len(leaks) != 1 || leaks[0].Secret != 0 || leaks[0].Line != lines {
		t.Fatalf("leaks = %+v, want the child's line (%d) for secret #1", leaks, lines)
	}
}
