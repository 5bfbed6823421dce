package inventory

import (
	"testing"

	"github.com/hullscan/hullscan/internal/model"
)

func TestDotnetParse(t *testing.T) {
	tests := []struct {
		parser Parser
		file   string
		want   []string
	}{
		{NuGetLock{}, "dotnet/packages.lock.json", []string{
			// Direct for net6.0, transitive for net8.0: direct.
			"Serilog 2.10.0 direct [packages.lock.json]",
			"Newtonsoft.Json 13.0.1 direct [packages.lock.json]",
			"System.Text.Json 8.0.4 transitive [packages.lock.json]",
			"System.Text.Encodings.Web 8.0.0 transitive [packages.lock.json]",
			"Microsoft.Data.SqlClient.SNI.runtime 5.1.1 transitive [packages.lock.json]",
		}},
		// StyleCop.Analyzers has no asset: not in the application. Lib is a project reference: its package
		// (SQLitePCLRaw) is a direct dependency of the solution.
		{DotnetDeps{}, "dotnet/App.deps.json", []string{
			"Microsoft.Extensions.DependencyInjection 8.0.0 transitive [deps.json]",
			"Microsoft.Extensions.DependencyInjection.Abstractions 8.0.0 transitive [deps.json]",
			"Microsoft.Extensions.Logging 8.0.0 direct [deps.json]",
			"Microsoft.Extensions.Logging.Abstractions 8.0.0 transitive [deps.json]",
			"Newtonsoft.Json 13.0.3 direct [deps.json]",
			"SQLitePCLRaw.lib.e_sqlite3 2.1.6 direct [deps.json]",
		}},
		{DotnetDeps{}, "dotnet/selfcontained.deps.json", []string{
			"Microsoft.AspNetCore.App.Runtime.linux-x64 8.0.6 direct [deps.json]",
			"Microsoft.NETCore.App.Runtime.linux-x64 8.0.6 direct [deps.json]",
			"Serilog 3.1.1 transitive [deps.json]",
			"Serilog.AspNetCore 8.0.0 direct [deps.json]",
		}},
		{PackagesConfig{}, "dotnet/packages.config", []string{
			"EntityFramework 6.4.4 [packages.config]",
			"jQuery 3.4.1 [packages.config]",
			"Microsoft.CodeDom.Providers.DotNetCompilerPlatform 2.0.1 dev [packages.config]",
			"Newtonsoft.Json 12.0.2 [packages.config]",
			"log4net 2.0.8 [packages.config]",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := "/app/" + tt.file
			pkgs, err := parse(t, tt.parser, p, readTestdata(t, tt.file))
			checkGoRustNuGet(t, model.NuGet, p, pkgs, err)
			if err != nil {
				t.Fatal(err)
			}
			diffLines(t, tt.file, pkgLines(pkgs), tt.want)
		})
	}
}

func TestDotnetEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		parser Parser
		body   string
		want   []string
		err    bool
	}{
		{"deps.json without runtimeTarget: every package", DotnetDeps{}, `{"targets":{},"libraries":{
			"A/1.0.0":{"type":"package"},"B/2.0.0":{"type":"Package"},"C/1.0.0":{"type":"project"},
			"D/1.0.0":{"type":"reference"},"bad":{"type":"package"},"/1.0":{"type":"package"}}}`,
			[]string{"A 1.0.0 [deps.json]", "B 2.0.0 [deps.json]"}, false},
		{"deps.json library missing from its target: kept", DotnetDeps{}, `{"runtimeTarget":{"name":"t"},
			"targets":{"t":{"App/1.0.0":{"dependencies":{"A":"1.0.0"}},"B/1.0.0":{}}},
			"libraries":{"App/1.0.0":{"type":"project"},"A/1.0.0":{"type":"package"},"B/1.0.0":{"type":"package"}}}`,
			[]string{"A 1.0.0 direct [deps.json]"}, false},
		{"deps.json, not an object", DotnetDeps{}, `["lodash","wp-i18n"]`, nil, false},
		{"deps.json without libraries", DotnetDeps{}, `{"runtimeTarget":{"name":"t"}}`, nil, false},
		{"deps.json, not JSON", DotnetDeps{}, `bogus deps.json`, nil, true},
		{"deps.json, wrong type inside", DotnetDeps{}, `{"libraries":[]}`, nil, true},
		{"deps.json, resource-only package", DotnetDeps{}, `{"runtimeTarget":{"name":"t"},"targets":{"t":{
			"Humanizer/2.14.1":{"dependencies":{"Humanizer.Core.af":"2.14.1"}},
			"Humanizer.Core.af/2.14.1":{"resources":{"lib/net6.0/af/Humanizer.resources.dll":{"locale":"af"}}}}},
			"libraries":{"Humanizer/2.14.1":{"type":"package"},"Humanizer.Core.af/2.14.1":{"type":"package"}}}`,
			[]string{"Humanizer.Core.af 2.14.1 [deps.json]"}, false},
		{"lock file without dependencies", NuGetLock{}, `{"version":1}`, nil, true},
		{"lock file, unknown type and missing version", NuGetLock{}, `{"version":2,"dependencies":{"net8.0":{
			"A":{"type":"Direct","resolved":"1.0.0"},"B":{"type":"Future","resolved":"1.0.0"},
			"C":{"type":"Transitive"},"a":{"type":"Transitive","resolved":"1.0.0"}}}}`,
			[]string{"A 1.0.0 direct [packages.lock.json]"}, false},
		{"packages.config, not XML", PackagesConfig{}, `{"packages":[]}`, nil, true},
		{"packages.config, another root", PackagesConfig{}, `<configuration/>`, nil, true},
		{"packages.config, incomplete entries", PackagesConfig{}, `<packages><package id="A"/><package version="1"/>
			<package id=" B " version=" 1.0 " developmentDependency="True"/></packages>`,
			[]string{"B 1.0 dev [packages.config]"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parse(t, tt.parser, "/app/x", []byte(tt.body))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			checkGoRustNuGet(t, model.NuGet, "/app/x", pkgs, err)
			diffLines(t, tt.name, pkgLines(pkgs), tt.want)
		})
	}
}

func TestDotnetMatch(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/app/packages.lock.json", "nuget-lock"},
		{"/app/App.deps.json", "dotnet-deps"},
		{"/app/publish/My.Web.Api.deps.json", "dotnet-deps"},
		{"/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.6/Microsoft.NETCore.App.deps.json", "dotnet-deps"},
		{"/src/Web/packages.config", "nuget-packages-config"},
		{"/app/package-lock.json", ""},
		{"/app/App.runtimeconfig.json", ""},
		{"/app/deps.json.bak", ""},
		{"/app/packages.config.xml", ""},
	}
	for _, tt := range tests {
		got := ""
		for _, p := range dotnetParsers() {
			if p.Match(tt.path) {
				got += p.Name()
			}
		}
		if got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func FuzzNuGetLock(f *testing.F) {
	f.Add(readTestdata(f, "dotnet/packages.lock.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, NuGetLock{}, "/app/packages.lock.json", data)
		checkGoRustNuGet(t, model.NuGet, "/app/packages.lock.json", pkgs, err)
	})
}

func FuzzDotnetDeps(f *testing.F) {
	f.Add(readTestdata(f, "dotnet/App.deps.json"))
	f.Add(readTestdata(f, "dotnet/selfcontained.deps.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, DotnetDeps{}, "/app/App.deps.json", data)
		checkGoRustNuGet(t, model.NuGet, "/app/App.deps.json", pkgs, err)
	})
}

func FuzzPackagesConfig(f *testing.F) {
	f.Add(readTestdata(f, "dotnet/packages.config"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parse(t, PackagesConfig{}, "/app/packages.config", data)
		checkGoRustNuGet(t, model.NuGet, "/app/packages.config", pkgs, err)
	})
}
