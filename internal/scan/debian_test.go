package scan

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/report"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/testimage"
)

// TestDebianImage is the foundation's acceptance test: a real Debian 12 image (debootstrap, apt-get install, a
// purge with whiteouts) read as an OCI layout, a docker-archive and from a registry. The dpkg inventory must equal
// `dpkg-query -W` run on the final tree, each package attributed to the layer that installed it, and the three
// transports must agree exactly.
func TestDebianImage(t *testing.T) {
	lay := testimage.DebianLayout(t)
	fix := testimage.FixtureDir()

	img := debianImage(t)
	dir := t.TempDir()
	arch := filepath.Join(dir, "debian.tar")
	testimage.WriteDockerArchive(t, arch, "debian:fixture", img)
	host := testimage.Registry(t)
	testimage.Push(t, host+"/debian:fixture", img)

	var invs []*model.Inventory
	for _, arg := range []string{"oci:" + lay, arch, host + "/debian:fixture"} {
		tg, err := source.ParseTarget(arg)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := Run(context.Background(), tg, Options{Open: source.OpenOptions{Insecure: true}})
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		invs = append(invs, inv)
	}

	// 1. Equal to dpkg-query on the merged tree.
	inv := invs[0]
	var got []string
	for _, p := range inv.Packages {
		if p.Ecosystem == model.Deb {
			got = append(got, fmt.Sprintf("%s %s %s", p.Name, p.Version, p.SourceName))
		}
	}
	sort.Strings(got)
	want := testimage.ReadLines(t, filepath.Join(fix, "c.dpkg"))
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dpkg inventory differs from dpkg-query:\n%s", lineDiff(want, got))
	}
	purged := strings.TrimSpace(strings.Join(testimage.ReadLines(t, filepath.Join(fix, "purged")), ""))
	for _, p := range inv.Packages {
		if p.Name == purged {
			t.Errorf("purged package %s still listed", purged)
		}
	}

	// 2. Attribution: in the debootstrap tree → layer 0, added by apt-get → layer 1, nothing from layer 2.
	base := map[string]bool{}
	for _, l := range testimage.ReadLines(t, filepath.Join(fix, "a.dpkg")) {
		f := strings.Fields(l)
		base[f[0]+" "+f[1]] = true
	}
	counts := map[int]int{}
	for _, p := range inv.Packages {
		wantLayer := 1
		if base[p.Name+" "+p.Version] {
			wantLayer = 0
		}
		if p.Layer == nil || p.Layer.Index != wantLayer {
			t.Errorf("%s %s attributed to %+v, want layer %d", p.Name, p.Version, p.Layer, wantLayer)
			continue
		}
		if p.Layer.CreatedBy != testimage.DebianCreatedBy[wantLayer] || p.Layer.DiffID == "" || p.Layer.Digest == "" {
			t.Errorf("%s: layer ref %+v", p.Name, p.Layer)
		}
		counts[wantLayer]++
	}
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("layer counts %v: the fixture should install packages in both layers", counts)
	}
	if inv.OS == nil || inv.OS.Family != "debian" || inv.OS.Version != "12" {
		t.Errorf("OS %+v", inv.OS)
	}

	// 3. The three transports give the same inventory (up to how the target was named).
	for i, other := range invs[1:] {
		if !reflect.DeepEqual(other.Packages, inv.Packages) {
			t.Errorf("transport %d: packages differ from the OCI layout's", i+1)
		}
		if !reflect.DeepEqual(other.Source.Layers, inv.Source.Layers) || !reflect.DeepEqual(other.OS, inv.OS) {
			t.Errorf("transport %d: layers or OS differ:\n%+v\n%+v", i+1, other.Source.Layers, inv.Source.Layers)
		}
		if other.Source.ImageID != inv.Source.ImageID {
			t.Errorf("transport %d: image id %s vs %s", i+1, other.Source.ImageID, inv.Source.ImageID)
		}
	}

	// 4. And so the SBOMs are identical, byte for byte, once what names the transport is set aside: the target as
	// typed, its kind, and the manifest digest and tag, which a docker-archive does not record.
	opts := report.Options{ToolVersion: "test", Serial: "3b0e8f9c-6a8e-4c1e-9d53-1f2a3b4c5d6e", Now: func() time.Time { return testimage.Epoch }}
	for _, format := range []string{"cyclonedx", "spdx", "json"} {
		var first []byte
		for i, v := range invs {
			c := *v
			c.Source.Name, c.Source.Kind, c.Source.Digest, c.Source.RepoTags = "debian", "image", "", nil
			var buf bytes.Buffer
			if err := report.Write(&buf, format, &c, opts); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = buf.Bytes()
			} else if !bytes.Equal(first, buf.Bytes()) {
				t.Errorf("%s SBOM of transport %d differs from the OCI layout's", format, i)
			}
		}
	}
}

// lineDiff lists lines only in want (-) or only in got (+).
func lineDiff(want, got []string) string {
	in := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range want {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range got {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
