module example.com/bad

require github.com/x/y
