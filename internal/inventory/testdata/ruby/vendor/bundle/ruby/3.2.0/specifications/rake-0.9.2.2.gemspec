# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name = "rake"
  s.version = "0.9.2.2"

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2") if s.respond_to? :required_rubygems_version=
  s.authors = ["Jim Weirich"]
  s.date = "2011-10-22"
  s.description = "Rake is a Make-like program implemented in Ruby. Tasks and dependencies are\nspecified in standard Ruby syntax.\n"
  s.email = "jim@weirichhouse.org"
  s.executables = ["rake"]
  s.files = ["bin/rake"]
  s.homepage = "http://rake.rubyforge.org"
  s.rdoc_options = ["--line-numbers", "--show-hash", "--main", "README.rdoc", "--title", "Rake -- Ruby Make"]
  s.require_paths = ["lib"]
  s.rubyforge_project = "rake"
  s.rubygems_version = "1.8.11"
  s.summary = "Ruby based make-like utility."

  if s.respond_to? :specification_version then
    s.specification_version = 3

    if Gem::Version.new(Gem::VERSION) >= Gem::Version.new('1.2.0') then
      s.add_development_dependency(%q<minitest>, ["~> 2.1"])
    else
      s.add_dependency(%q<minitest>, ["~> 2.1"])
    end
  else
    s.add_dependency(%q<minitest>, ["~> 2.1"])
  end
end
