package handlers_test

import (
	"os"
	"testing"

	"github.com/frontdesk-bot/frontdesk/internal/logtest"
)

// TestMain fails the package when any line logged by any of its tests
// carries the webhook token.
func TestMain(m *testing.M) {
	os.Exit(logtest.Main(m, token))
}
