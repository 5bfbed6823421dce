package scan

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// walkVersion changes whenever the walker's output (LayerIndex, captured files) changes for the same layer.
const walkVersion = 1

// cacheVersion names everything a cached layer result depends on besides the layer itself: the walker, the OS
// file set and every parser's name and version. A new parser or a parser fix invalidates the cache by itself.
func (s *scanner) cacheVersion() string {
	parts := []string{fmt.Sprintf("walk%d", walkVersion), "os1", "debcopyright1", "dpkglist1"}
	for _, p := range s.parsers {
		parts = append(parts, fmt.Sprintf("%s@%d", p.Name(), p.Version()))
	}
	if s.opts.MaxFileSize > 0 {
		parts = append(parts, fmt.Sprintf("maxfile=%d", s.opts.MaxFileSize))
	}
	return strings.Join(parts, ",")
}

// layerCache stores layer results on disk, keyed by the layer's diff_id (its uncompressed content, so the same
// layer shared by two images, or served compressed two ways, hits) and the analyzer versions. Results are written
// whole to a temp file and renamed, so a crash never leaves a half entry; an entry that does not decode is
// treated as a miss.
type layerCache struct {
	dir string
	key string
}

func (c layerCache) path(diffID string) string {
	h := sha256.Sum256([]byte(diffID + "\x00" + c.key))
	x := hex.EncodeToString(h[:])
	return filepath.Join(c.dir, "layers", x[:2], x+".gob.zst")
}

func (c layerCache) get(diffID string) (*layerResult, bool) {
	if c.dir == "" || diffID == "" {
		return nil, false
	}
	f, err := os.Open(c.path(diffID))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReader(f), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, false
	}
	defer zr.Close()
	var res layerResult
	if err := gob.NewDecoder(zr).Decode(&res); err != nil || res.Index == nil {
		return nil, false
	}
	if res.Files == nil {
		res.Files = map[string]fileResult{}
	}
	if res.OSFiles == nil {
		res.OSFiles = map[string][]byte{}
	}
	if res.Licenses == nil {
		res.Licenses = map[string][]string{}
	}
	if res.Lists == nil {
		res.Lists = map[string][]string{}
	}
	return &res, true
}

// put is best effort: a cache that cannot be written only costs the next scan time.
func (c layerCache) put(diffID string, res *layerResult) {
	if c.dir == "" || diffID == "" {
		return
	}
	final := c.path(diffID)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".tmp-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	zw, err := zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		tmp.Close()
		return
	}
	if err := gob.NewEncoder(zw).Encode(res); err != nil {
		tmp.Close()
		return
	}
	if zw.Close() != nil || bw.Flush() != nil || tmp.Close() != nil {
		return
	}
	_ = os.Rename(tmp.Name(), final)
}
