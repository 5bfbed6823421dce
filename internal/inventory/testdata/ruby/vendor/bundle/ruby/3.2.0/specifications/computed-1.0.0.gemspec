require_relative "lib/computed/version"

Gem::Specification.new do |spec|
  spec.name = "computed"
  spec.version = Computed::VERSION
end
