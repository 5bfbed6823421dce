module example.com/future

go 1.30

frobnicate everything

require (
	github.com/google/uuid v1.6.0
	golang.org/x/sync v0.7.0 // indirect
)

replace github.com/google/uuid => github.com/google/uuid v1.5.0
