package source

import (
	"context"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Kind is the kind of a scan target.
type Kind string

const (
	DockerArchive Kind = "docker-archive"
	OCILayout     Kind = "oci-layout"
	Registry      Kind = "registry"
	RootFS        Kind = "rootfs"
	Directory     Kind = "directory"
)

// Target is a parsed scan target. The forms are a contract scripts rely on:
//
//	app.tar, app.tar.gz [:tag]         docker-archive (a path to an existing file)
//	docker-archive:PATH[:tag]          the same, explicitly
//	oci:PATH[:tag|@sha256:…]           OCI image layout, directory or tar
//	rootfs:PATH                        an unpacked root filesystem
//	./project (an existing directory)  a project tree
//	anything else                      an image reference in a registry
type Target struct {
	Kind   Kind
	Arg    string // as given
	Path   string // file or directory, for local kinds
	Tag    string // picks an image in a multi-image archive or layout
	Digest string // picks a manifest in a layout
	Ref    string // registry reference
}

// ImageKind reports whether the target is an image (has layers).
func (t Target) ImageKind() bool {
	return t.Kind == DockerArchive || t.Kind == OCILayout || t.Kind == Registry
}

func exists(p string) (os.FileInfo, bool) {
	st, err := os.Stat(p)
	return st, err == nil
}

// ParseTarget resolves a command-line target to its kind.
func ParseTarget(arg string) (Target, error) {
	t := Target{Arg: arg}
	switch {
	case arg == "":
		return t, inputErrorf("no target given")
	case strings.HasPrefix(arg, "oci:"):
		t.Kind = OCILayout
		t.Path, t.Tag, t.Digest = splitPathRef(strings.TrimPrefix(arg, "oci:"))
		if _, ok := exists(t.Path); !ok {
			return t, inputErrorf("OCI layout %s does not exist", t.Path)
		}
		return t, nil
	case strings.HasPrefix(arg, "docker-archive:"):
		t.Kind = DockerArchive
		t.Path, t.Tag, _ = splitPathRef(strings.TrimPrefix(arg, "docker-archive:"))
		if _, ok := exists(t.Path); !ok {
			return t, inputErrorf("archive %s does not exist", t.Path)
		}
		return t, nil
	case strings.HasPrefix(arg, "rootfs:"):
		t.Kind, t.Path = RootFS, strings.TrimPrefix(arg, "rootfs:")
		if st, ok := exists(t.Path); !ok || !st.IsDir() {
			return t, inputErrorf("root filesystem %s is not a directory", t.Path)
		}
		return t, nil
	}
	if st, ok := exists(arg); ok {
		t.Path = arg
		if st.IsDir() {
			t.Kind = Directory
		} else {
			t.Kind = DockerArchive
		}
		return t, nil
	}
	// app.tar:repo/app:1.0 — an archive with a tag after it.
	for _, ext := range []string{".tar:", ".tar.gz:", ".tgz:", ".tar.zst:"} {
		if i := strings.Index(arg, ext); i >= 0 {
			p := arg[:i+len(ext)-1]
			if st, ok := exists(p); ok && !st.IsDir() {
				t.Kind, t.Path, t.Tag = DockerArchive, p, arg[i+len(ext):]
				return t, nil
			}
		}
	}
	if looksLikePath(arg) {
		return t, inputErrorf("%s: no such file or directory", arg)
	}
	t.Kind, t.Ref = Registry, arg
	return t, nil
}

// looksLikePath catches typos in file names before they are sent to a registry as an image reference.
func looksLikePath(arg string) bool {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../") || strings.HasPrefix(arg, "~") {
		return true
	}
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst"} {
		if strings.HasSuffix(arg, ext) {
			return true
		}
	}
	return false
}

// splitPathRef splits "PATH[:tag|@digest]". A path that exists as given wins over a split.
func splitPathRef(s string) (p, tag, digest string) {
	if _, ok := exists(s); ok {
		return s, "", ""
	}
	if i := strings.LastIndex(s, "@"); i > 0 && strings.Contains(s[i:], ":") {
		return s[:i], "", s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > 0 {
		if _, ok := exists(s[:i]); ok {
			return s[:i], s[i+1:], ""
		}
	}
	return s, "", ""
}

// OpenImage opens an image target. When a platform was asked for, an image of another platform is an error, not
// a silent scan of the wrong thing (a docker-archive or a single-platform layout holds only what it holds).
func OpenImage(ctx context.Context, t Target, opts OpenOptions) (*Image, error) {
	img, err := openImage(ctx, t, opts)
	if err != nil || opts.Platform == "" || img.Config == nil || img.Config.OS == "" {
		return img, err
	}
	want, perr := v1.ParsePlatform(opts.Platform)
	if perr != nil {
		img.Close()
		return nil, &InputError{Err: fmt.Errorf("--platform %q: %w", opts.Platform, perr)}
	}
	have := v1.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
	if !have.Satisfies(*want) {
		img.Close()
		return nil, inputErrorf("%s is a %s image, not %s", t.Arg, have.String(), opts.Platform)
	}
	return img, nil
}

func openImage(ctx context.Context, t Target, opts OpenOptions) (*Image, error) {
	switch t.Kind {
	case DockerArchive:
		img, err := openDockerArchive(t.Path, t.Tag, opts)
		if err == nil {
			img.Source.Name = t.Arg
		}
		return img, err
	case OCILayout:
		img, err := openLayout(t.Path, refSelector{tag: t.Tag, digest: t.Digest}, opts)
		if err == nil {
			img.Source.Name = t.Arg
		}
		return img, err
	case Registry:
		return openRemote(ctx, t.Ref, opts)
	}
	return nil, inputErrorf("%s is a %s, not an image", t.Arg, t.Kind)
}
