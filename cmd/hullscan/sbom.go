package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/report"
	"github.com/hullscan/hullscan/internal/scan"
	"github.com/hullscan/hullscan/internal/source"
)

// targetOptions are the flags that choose and open a target; every scanning command shares them.
type targetOptions struct {
	platform      string
	insecure      bool
	maxFileSize   int64
	maxLayerBytes int64
}

func (t *targetOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.platform, "platform", "", "platform of a multi-platform image: os/arch[/variant]")
	cmd.Flags().BoolVar(&t.insecure, "insecure", false, "allow plain HTTP and unverified TLS for the registry")
	cmd.Flags().Int64Var(&t.maxFileSize, "max-file-size", 0, "skip (with a warning) package database files larger than this many bytes (0 = each parser's own cap)")
	cmd.Flags().Int64Var(&t.maxLayerBytes, "max-layer-size", scan.DefaultMaxLayerBytes, "fail on a layer that expands past this many bytes")
}

func (t *targetOptions) scanOptions(g *globalOptions) scan.Options {
	return scan.Options{
		Open:          source.OpenOptions{Platform: t.platform, Insecure: t.insecure},
		CacheDir:      g.cache(),
		MaxFileSize:   t.maxFileSize,
		MaxLayerBytes: t.maxLayerBytes,
	}
}

// scan inventories the target, with progress on a terminal.
func (t *targetOptions) scan(cmd *cobra.Command, g *globalOptions, target source.Target) (*model.Inventory, error) {
	opts := t.scanOptions(g)
	var clear func()
	opts.Progress, clear = g.progress()
	defer clear()
	return scan.Run(cmd.Context(), target, opts)
}

func newSBOMCmd(g *globalOptions) *cobra.Command {
	var (
		t      targetOptions
		format string
		output string
	)
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "List the packages in an image, root filesystem or directory as an SBOM",
		Long: `List the packages in a target.

TARGET is one of:
  app.tar, app.tar.gz[:tag]      a docker-archive (docker save), gzip-compressed or not
  oci:PATH[:tag|@sha256:...]     an OCI image layout, directory or tar
  rootfs:PATH                    an unpacked root filesystem
  ./project                      a directory
  registry.example.com/app:1.4   an image in a registry (also @sha256:...)`,
		Example: `  hullscan sbom app.tar
  hullscan sbom oci:./layout:1.0 --format spdx -o app.spdx.json
  hullscan sbom registry.example.com/app:1.4 --platform linux/arm64 --format cyclonedx -o app.cdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.InventoryFormats(), format) {
				return usageError{fmt.Errorf("--format %q: want one of %s (the others report vulnerabilities: use `hullscan image`)", format, strings.Join(report.InventoryFormats(), ", "))}
			}
			target, err := source.ParseTarget(args[0])
			if err != nil {
				return err
			}
			inv, err := t.scan(cmd, g, target)
			if err != nil {
				return err
			}
			if !g.quiet {
				for _, w := range inv.Warnings {
					fmt.Fprintf(os.Stderr, "warning: %s\n", w)
				}
			}
			return writeOutput(output, func(w io.Writer, color bool) error {
				return report.Write(w, format, inv, report.Options{ToolVersion: toolVersion(), Color: color})
			})
		},
	}
	t.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(report.InventoryFormats(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}

func validFormat(f string) bool {
	for _, x := range report.Formats() {
		if x == f {
			return true
		}
	}
	return false
}

// writeOutput writes to the named file (whole, via a temp file and rename, so a failed run never leaves half a
// report where CI expects one) or to standard output, with colour only on a terminal. A path that is not a regular
// file (/dev/null, /dev/stdout, a named pipe) is written in place: renaming over it would replace the device. A
// symlink is followed, so the file it points at gets the report and the link stays.
func writeOutput(path string, write func(w io.Writer, color bool) error) error {
	if path == "" {
		return write(os.Stdout, term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "")
	}
	if info, err := os.Stat(path); err == nil {
		if info.IsDir() {
			return usageError{fmt.Errorf("--output %s: is a directory", path)}
		}
		if !info.Mode().IsRegular() {
			return writeInPlace(path, write)
		}
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			path = resolved
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hullscan-*")
	if err != nil {
		return usageError{fmt.Errorf("--output %s: %w", path, err)}
	}
	defer os.Remove(tmp.Name())
	_ = tmp.Chmod(0o644) // CreateTemp's 0600 would surprise whoever reads the report next
	if err := write(tmp, false); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeInPlace writes to a device or pipe. The report is rendered in memory first (report.Write does), so a
// failure still writes nothing.
func writeInPlace(path string, write func(w io.Writer, color bool) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return usageError{fmt.Errorf("--output %s: %w", path, err)}
	}
	if err := write(f, false); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
