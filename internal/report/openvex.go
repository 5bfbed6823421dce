package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vex"
)

// ErrNothingToWrite is returned (wrapped) by Write when a format has nothing valid to say: an OpenVEX document
// needs at least one statement, and a scan without suppressed findings has none. The caller decides whether
// that is worth a warning; nothing is written.
var ErrNothingToWrite = errors.New("nothing to write")

// writeOpenVEX writes the scan's suppressions (exceptions and VEX statements alike) as an OpenVEX document whose
// product is the scanned target, so that another tool, or hullscan with --vex, can apply the same decisions.
func writeOpenVEX(w io.Writer, inv *model.Inventory, opts Options) error {
	if opts.Matches == nil {
		return errors.New("no findings: the openvex format needs a vulnerability scan")
	}
	err := vex.WriteOpenVEX(w, opts.Matches.Findings, vex.WriteOptions{Author: "hullscan", Now: opts.now(), Product: vexProduct(inv.Source)})
	if errors.Is(err, vex.ErrNoStatements) {
		return fmt.Errorf("%w: %w", ErrNothingToWrite, err)
	}
	return err
}

// vexProduct names the target for VEX: an image by repository and digest (what VEX consumers match images by),
// else by its digest or reference; a directory by its path.
func vexProduct(src model.Source) string {
	if !isImage(src) {
		return src.Name
	}
	ref := ""
	if len(src.RepoTags) > 0 {
		ref = src.RepoTags[0]
	} else if src.Kind == "registry" {
		ref = src.Name
	}
	digest := src.Digest
	if digest == "" {
		digest = src.ImageID
	}
	switch {
	case ref != "" && digest != "":
		if i := strings.IndexByte(ref, '@'); i >= 0 {
			ref = ref[:i]
		}
		if i := strings.LastIndexByte(ref, ':'); i >= 0 && !strings.Contains(ref[i:], "/") {
			ref = ref[:i]
		}
		return ref + "@" + digest
	case digest != "":
		return digest
	}
	return src.Name
}
