module example.com/svc

go 1.24.0

require golang.org/x/net v0.17.0

// The go command ignores a requirement on an excluded version (Go 1.16 and later).
exclude golang.org/x/net v0.17.0
