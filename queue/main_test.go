package queue_test

import (
	"os"
	"testing"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
)

// TestMain fails the package when any line logged by any of its tests
// carries the Green API token.
func TestMain(m *testing.M) {
	os.Exit(logtest.Main(m, greenapitest.DefaultToken))
}
