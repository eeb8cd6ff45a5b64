using System.Net;
using Rein.Tools;

namespace Rein.Core.Tests;

public sealed class NetworkAddressesTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.0.0.2", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("10.0.0.1", "private (RFC 1918)")]
    [InlineData("172.16.5.4", "private (RFC 1918)")]
    [InlineData("172.31.255.255", "private (RFC 1918)")]
    [InlineData("192.168.1.1", "private (RFC 1918)")]
    [InlineData("100.64.0.1", "shared (CGNAT 100.64.0.0/10)")]
    [InlineData("100.127.255.254", "shared (CGNAT 100.64.0.0/10)")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("fd00:ec2::254", "cloud metadata")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "unique local (fc00::/7)")]
    [InlineData("fd12:3456::1", "unique local (fc00::/7)")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("::ffff:10.1.2.3", "private (RFC 1918)")]
    [InlineData("64:ff9b::a9fe:a9fe", "cloud metadata")]
    [InlineData("2002:7f00:1::", "loopback")]
    [InlineData("224.0.0.1", "multicast or reserved")]
    [InlineData("255.255.255.255", "multicast or reserved")]
    [InlineData("ff02::1", "multicast")]
    public void Classify_NonPublicAddress_SaysWhichKind(string address, string kind)
    {
        Assert.Equal(kind, NetworkAddresses.Classify(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.255.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Classify_PublicAddress_Null(string address)
    {
        Assert.Null(NetworkAddresses.Classify(IPAddress.Parse(address)));
    }
}
