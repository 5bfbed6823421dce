module example.com/svc

go 1.24.0

toolchain go1.24.2

godebug (
	default=go1.21
	panicnil=1
)

require (
	example.com/internal/pkg v0.0.0-00010101000000-000000000000
	github.com/gin-gonic/gin v1.9.0
	github.com/old/lib v1.0.0
	golang.org/x/net v0.17.0
)

require (
	github.com/bytedance/sonic v1.9.1 // indirect
	golang.org/x/crypto v0.14.0 // indirect
	golang.org/x/text v0.13.0 // indirect
	golang.org/x/tools v0.14.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

require github.com/pkg/errors v0.9.1

tool golang.org/x/tools/cmd/stringer

// A fork that fixes a bug: the fork's code is what gets compiled.
replace github.com/old/lib => github.com/fork/lib v1.0.1-0.20230405120000-abcdefabcdef

// Only v0.14.0 is replaced.
replace golang.org/x/crypto v0.14.0 => golang.org/x/crypto v0.17.0

// Does not apply: the required version is v0.13.0.
replace golang.org/x/text v0.12.0 => golang.org/x/text v0.14.0

replace example.com/internal/pkg => ../pkg

exclude (
	golang.org/x/net v0.17.0
	golang.org/x/net v0.16.0
)

retract v1.0.1 // published by mistake
