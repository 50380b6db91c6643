package extractor

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// cidr|| matches an IP address or network (`10.0.0.1`, `10.0.0.0/8`,
// `::1`, `2001:db8::/32`) and gives its prefix and mask as arrays of bytes
// (IPv4) or 16-bit groups (IPv6). cidr|10.0.0.0/8, 192.168.0.0/16|
// matches only addresses inside one of the listed networks.
//
// Tremor's IPv4 reader was lenient and we keep it: "10" is 0.0.0.10,
// "10.1" is 10.0.0.1, "10.1.2" is 10.1.0.2, a prefix length reads at most
// two digits, and the host bits are cleared from the prefix.
type cidrX struct {
	nets []netip.Prefix // nil: any address or network matches
}

func init() {
	register("cidr", func(p string) (Extractor, error) {
		if p == "" {
			return cidrX{}, nil
		}
		var nets []netip.Prefix
		for _, r := range strings.Split(p, ",") {
			r = strings.TrimSpace(r)
			n, ok := parseCIDR(r)
			if !ok {
				return nil, fmt.Errorf("could not parse CIDR: '%s'", r)
			}
			nets = append(nets, n)
		}
		return cidrX{nets: nets}, nil
	})
}

func v4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }

// parseCIDR reads an address or network the way Tremor did.
func parseCIDR(s string) (netip.Prefix, bool) {
	var parts [4]byte
	i := 0
	// first group: on overflow or a hex digit it is IPv6
	var a uint
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			a = a*10 + uint(c-'0')
			if a > 255 {
				return parseV6(s)
			}
			continue
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			return parseV6(s)
		case c == '/':
			return v4network(v4(0, 0, 0, byte(a)), s[i+1:])
		case c == '.':
			if i+1 >= len(s) {
				return netip.Prefix{}, false
			}
		default:
			return netip.Prefix{}, false
		}
		break
	}
	parts[0] = byte(a)
	if i >= len(s) {
		return netip.PrefixFrom(v4(0, 0, 0, parts[0]), 32), true
	}
	i++ // the dot
	// later groups: (a,0,0,b), (a,b,0,c), (a,b,c,d) as they come
	for g := 1; g < 4; g++ {
		var n uint
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				n = n*10 + uint(c-'0')
				if n > 255 {
					return netip.Prefix{}, false
				}
				continue
			case c == '/':
				return v4network(groupAddr(parts, g, byte(n)), s[i+1:])
			case c == '.' && g < 3:
				if i+1 >= len(s) {
					return netip.Prefix{}, false
				}
			default:
				return netip.Prefix{}, false
			}
			break
		}
		if i >= len(s) {
			return netip.PrefixFrom(groupAddr(parts, g, byte(n)), 32), true
		}
		parts[g] = byte(n)
		i++
	}
	return netip.Prefix{}, false
}

// groupAddr is the address when the g-th group (from 1) is the last one:
// the last group read is always the final byte.
func groupAddr(p [4]byte, g int, last byte) netip.Addr {
	switch g {
	case 1:
		return v4(p[0], 0, 0, last)
	case 2:
		return v4(p[0], p[1], 0, last)
	}
	return v4(p[0], p[1], p[2], last)
}

// v4network reads a prefix length of one or two digits (anything after
// them is ignored, as it was in Tremor).
func v4network(a netip.Addr, s string) (netip.Prefix, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return netip.Prefix{}, false
	}
	n := int(s[0] - '0')
	if len(s) > 1 {
		if s[1] < '0' || s[1] > '9' {
			return netip.Prefix{}, false
		}
		n = n*10 + int(s[1]-'0')
	}
	if n > 32 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, n).Masked(), true
}

func parseV6(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is6() || p.Addr().Zone() != "" {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, 128), true
}

func cidrRecord(p netip.Prefix) *event.Record {
	bits := p.Bits()
	if p.Addr().Is4() {
		a := p.Addr().As4()
		prefix := make([]event.Value, 4)
		mask := make([]event.Value, 4)
		for i := 0; i < 4; i++ {
			prefix[i] = int64(a[i])
			mask[i] = int64(maskByte(bits, i))
		}
		return event.RecordOf("prefix", prefix, "mask", mask)
	}
	a := p.Addr().As16()
	prefix := make([]event.Value, 8)
	mask := make([]event.Value, 8)
	for i := 0; i < 8; i++ {
		prefix[i] = int64(a[2*i])<<8 | int64(a[2*i+1])
		mask[i] = int64(maskByte(bits, 2*i))<<8 | int64(maskByte(bits, 2*i+1))
	}
	return event.RecordOf("prefix", prefix, "mask", mask)
}

// maskByte is byte i of a netmask of the given length.
func maskByte(bits, i int) byte {
	switch n := bits - 8*i; {
	case n >= 8:
		return 0xff
	case n <= 0:
		return 0
	default:
		return byte(0xff << (8 - n))
	}
}

func (x cidrX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	if x.nets != nil {
		// with networks given, the input must be a plain address inside one
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" || !x.contains(a) {
			return nil, false, nil
		}
	}
	p, ok := parseCIDR(s)
	if !ok {
		return nil, false, nil
	}
	return cidrRecord(p), true, nil
}

func (x cidrX) contains(a netip.Addr) bool {
	for _, n := range x.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Test: with networks given, an address inside one matches even where
// the lenient reader would not produce a record.
func (x cidrX) Test(c *stdlib.Ctx, v event.Value) bool {
	if x.nets == nil {
		_, ok, _ := x.Extract(c, v)
		return ok
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == "" && x.contains(a)
}
