package source

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress returns the uncompressed stream of a layer blob, recognising gzip and zstd by their magic bytes
// (media types lie often enough — docker-archives call gzip layers "tar" — that content is the better witness).
// klauspost's decoders are used because decompression is most of a scan's CPU time and they are about twice as
// fast as the standard library's.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	default:
		return io.NopCloser(br), nil
	}
}

// capReader fails with ErrTooLarge once more than max bytes have been read: the defence against a stream that
// expands without bound.
type capReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		return n, fmt.Errorf("%w (%d bytes)", ErrTooLarge, c.max)
	}
	return n, err
}

// digestReader hashes what passes through it and, at EOF, compares the digest with want; a mismatch turns the EOF
// into an error, so a reader that consumes the whole stream cannot miss it.
type digestReader struct {
	r    io.Reader
	h    hash.Hash
	want string // "sha256:<hex>"; empty = only compute
	what string // "blob" or "diff_id", for the message
	got  string
}

func newDigestReader(r io.Reader, want, what string) *digestReader {
	return &digestReader{r: r, h: sha256.New(), want: want, what: what}
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	if err == io.EOF {
		d.got = "sha256:" + hex.EncodeToString(d.h.Sum(nil))
		if d.want != "" && d.got != d.want {
			return n, inputErrorf("content does not match its %s: want %s, got %s", d.what, d.want, d.got)
		}
	}
	return n, err
}

// Digest is the computed digest, known once the stream reached EOF.
func (d *digestReader) Digest() string { return d.got }
