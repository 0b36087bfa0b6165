using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using ZeroPath.ServiceDefaults;
using ZeroPath.ServiceDefaults.ClusterSecurity;
using ZeroPath.Testing;

namespace ZeroPath.Silo.Tests.Cluster;

public class ClusterCertificateTests
{
    [Fact]
    public void The_certificates_run_sh_makes_with_openssl_are_accepted_for_their_role_only()
    {
        var folder = Directory.CreateTempSubdirectory("zeropath-certs-").FullName;
        var script = Path.Combine(TestServers.RepositoryRoot(), "deploy", "tls", "make-cluster-certs.sh");
        using (var process = Process.Start(new ProcessStartInfo("bash", [script, folder]) { RedirectStandardError = true })!)
        {
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "silo.key")));
        }

        Assert.NotNull(Load(folder, "silo", ClusterRole.Silo, out _));
        Assert.NotNull(Load(folder, "gateway", ClusterRole.Gateway, out _));
        Assert.Null(Load(folder, "gateway", ClusterRole.Silo, out var gatewayAsSilo));
        Assert.Contains("OU=zeropath-silo", gatewayAsSilo, StringComparison.Ordinal);
        Assert.Null(Load(folder, "silo", ClusterRole.Gateway, out _));
    }

    [Fact]
    public void Missing_or_unreadable_files_stop_start_up_naming_the_setting()
    {
        var settings = new StartupSettings(new ConfigurationBuilder().Build());
        Assert.Null(new ClusterTlsOptions().Load(settings, ClusterRole.Silo));
        var error = Assert.Throws<InvalidOperationException>(settings.ThrowIfInvalid);
        Assert.Contains("ZeroPath:Cluster:Tls:CaCertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("ZeroPath:Cluster:Tls:KeyPath", error.Message, StringComparison.Ordinal);

        var unreadable = new StartupSettings(new ConfigurationBuilder().Build());
        Assert.Null(new ClusterTlsOptions { CaCertificatePath = "/nonexistent/ca.pem", CertificatePath = "/x.pem", KeyPath = "/x.key" }.Load(unreadable, ClusterRole.Silo));
        Assert.Contains("ZeroPath:Cluster:Tls:CaCertificatePath", Assert.Throws<InvalidOperationException>(unreadable.ThrowIfInvalid).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trust_needs_the_cluster_CA_the_role_and_a_current_certificate()
    {
        using var authority = ClusterCertificates.CreateAuthority();
        using var other = ClusterCertificates.CreateAuthority("other");
        using var silo = ClusterCertificates.Issue(authority, ClusterRole.Silo, "s");
        using var foreign = ClusterCertificates.Issue(other, ClusterRole.Silo, "s");
        using var expired = ClusterCertificates.Issue(authority, ClusterRole.Silo, "s", days: 0);

        Assert.Equal(ClusterRole.Silo, ClusterCertificates.RoleOf(silo));
        Assert.True(ClusterCertificates.IsTrusted(silo, authority, ClusterRole.Silo));
        Assert.False(ClusterCertificates.IsTrusted(silo, authority, ClusterRole.Gateway));
        Assert.False(ClusterCertificates.IsTrusted(foreign, authority, ClusterRole.Silo));
        Assert.False(ClusterCertificates.IsTrusted(expired, authority, ClusterRole.Silo));
        Assert.False(ClusterCertificates.IsTrusted(authority, authority, ClusterRole.Silo));
    }

    [Fact]
    public void While_the_CA_is_replaced_a_bundle_of_the_old_and_new_CA_accepts_certificates_of_either()
    {
        var folder = Directory.CreateTempSubdirectory("zeropath-ca-bundle-").FullName;
        using var old = ClusterCertificates.CreateAuthority("old CA");
        using var replacement = ClusterCertificates.CreateAuthority("new CA");
        using var other = ClusterCertificates.CreateAuthority("other CA");
        File.WriteAllText(Path.Combine(folder, "ca.pem"), old.ExportCertificatePem() + "\n" + replacement.ExportCertificatePem());
        var bundle = ClusterCertificates.LoadCertificates(Path.Combine(folder, "ca.pem"));

        Assert.Equal(2, bundle.Count);
        using var fromOld = ClusterCertificates.Issue(old, ClusterRole.Silo, "a");
        using var fromNew = ClusterCertificates.Issue(replacement, ClusterRole.Silo, "b");
        using var fromOther = ClusterCertificates.Issue(other, ClusterRole.Silo, "c");
        Assert.True(ClusterCertificates.IsTrusted(fromOld, bundle, ClusterRole.Silo));
        Assert.True(ClusterCertificates.IsTrusted(fromNew, bundle, ClusterRole.Silo));
        Assert.False(ClusterCertificates.IsTrusted(fromOther, bundle, ClusterRole.Silo));
    }

    private static ClusterTlsMaterial? Load(string folder, string name, ClusterRole role, out string problems)
    {
        var settings = new StartupSettings(new ConfigurationBuilder().Build());
        var material = new ClusterTlsOptions
        {
            CaCertificatePath = Path.Combine(folder, "ca.pem"),
            CertificatePath = Path.Combine(folder, $"{name}.pem"),
            KeyPath = Path.Combine(folder, $"{name}.key"),
        }.Load(settings, role);
        problems = material is null ? Assert.Throws<InvalidOperationException>(settings.ThrowIfInvalid).Message : "";
        return material;
    }
}
