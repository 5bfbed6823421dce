package testimage

import (
	"os"
	"testing"
)

// TestWriteAppImage writes the application image for manual runs and docs: HULLSCAN_APP_OUT=/path/app.tar.
func TestWriteAppImage(t *testing.T) {
	out := os.Getenv("HULLSCAN_APP_OUT")
	if out == "" {
		t.Skip("set HULLSCAN_APP_OUT to write the application image")
	}
	WriteDockerArchive(t, out, "registry.example.com/shop/app:1.4", AppImage(t))
}
