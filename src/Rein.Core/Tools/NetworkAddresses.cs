using System.Net;
using System.Net.Sockets;

namespace Rein.Tools;

/// <summary>Tells public internet addresses from the ones that reach this machine, its networks or its cloud's metadata.</summary>
/// <remarks>
/// Not public: loopback (<c>127.0.0.0/8</c>, <c>::1</c>), unspecified and "this network" (<c>0.0.0.0/8</c>, <c>::</c>),
/// private (<c>10/8</c>, <c>172.16/12</c>, <c>192.168/16</c>), shared CGNAT (<c>100.64/10</c>), link-local
/// (<c>169.254/16</c>, <c>fe80::/10</c>) with the cloud metadata addresses <c>169.254.169.254</c> and
/// <c>fd00:ec2::254</c>, unique local (<c>fc00::/7</c>), site-local (<c>fec0::/10</c>), IETF protocol assignments
/// (<c>192.0.0.0/24</c>), benchmarking (<c>198.18/15</c>), multicast, reserved and broadcast (<c>224.0.0.0/3</c>). An
/// IPv6 address that carries an IPv4 one (IPv4-mapped <c>::ffff:a.b.c.d</c>, IPv4-compatible, NAT64 <c>64:ff9b::/96</c>,
/// 6to4 <c>2002::/16</c>) is judged by the IPv4 address inside. Thread-safe.
/// </remarks>
public static class NetworkAddresses
{
    private static readonly IPAddress Ec2MetadataV6 = IPAddress.Parse("fd00:ec2::254");

    /// <summary>Says what kind of non-public address this is.</summary>
    /// <param name="address">The address.</param>
    /// <returns>A short description such as <c>loopback</c> or <c>private (RFC 1918)</c>, or null for a public address.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public static string? Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } inner)
        {
            return Classify(inner);
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return (b[0], b[1], b[2]) switch
            {
                (127, _, _) => "loopback",
                (0, _, _) => "unspecified",
                (10, _, _) or (172, >= 16 and <= 31, _) or (192, 168, _) => "private (RFC 1918)",
                (100, >= 64 and <= 127, _) => "shared (CGNAT 100.64.0.0/10)",
                (169, 254, 169) when b[3] == 254 => "cloud metadata",
                (169, 254, _) => "link-local",
                (192, 0, 0) => "IETF protocol assignment",
                (198, 18 or 19, _) => "benchmarking",
                (>= 224, _, _) => "multicast or reserved",
                _ => null,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an internet address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }

        if (new IPAddress(b).Equals(Ec2MetadataV6))
        {
            return "cloud metadata";
        }

        return (b[0], b[1] & 0xC0) switch
        {
            (0xFE, 0x80) => "link-local",
            (0xFE, 0xC0) => "site-local",
            (0xFC or 0xFD, _) => "unique local (fc00::/7)",
            (0xFF, _) => "multicast",
            _ => null,
        };
    }

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        // IPv4-compatible ::a.b.c.d (but not :: or ::1) and NAT64 64:ff9b::a.b.c.d carry the address in the last four bytes.
        var compatible = b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && (b[12] | b[13] | b[14]) != 0;
        var nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
        if (compatible || nat64)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        // 6to4 2002:a.b.c.d::/48.
        return b[0] == 0x20 && b[1] == 0x02 ? new IPAddress(b.AsSpan(2, 4)) : null;
    }
}
