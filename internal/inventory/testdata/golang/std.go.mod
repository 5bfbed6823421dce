module std

go 1.22

require (
	golang.org/x/crypto v0.16.1-0.20231129163542-152cdb1503eb
	golang.org/x/net v0.19.1-0.20240412193750-db050b07227e
)

require (
	golang.org/x/sys v0.15.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
