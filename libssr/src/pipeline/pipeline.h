// SPDX-License-Identifier: Apache-2.0
// Pipeline: one worker's SVR forwarding path over bursts of frames (docs/protocol.md §2-§4).
//
// Design note. A Pipeline is everything one worker needs between "frame received" and "frame
// transmitted": the router's policy snapshot, a session table, per-peer waypoint pools and hop
// crypto, per-service payload crypto, a neighbour table, scratch buffers, and counters. It does
// no kernel I/O itself: it is driven through io::Port / io::FramePool (in-memory ports in tests,
// AF_XDP sockets in the router), one burst at a time, and is not thread-safe (one per worker).
//
// Paths (the side a frame arrives on decides; sessions remember both flows):
//   LAN, no session       first packet: policy (tenant, service, access; deny by default) ->
//                         service route -> waypoint pair -> session (UUID) -> forward metadata
//                         (+ payload-TLV encryption) -> outer headers -> payload encryption ->
//                         HMAC -> WAN. A route to a LAN next hop is local breakout (no SVR).
//   LAN, session          ingress forward (midstream; metadata until the handshake completes) or
//                         egress reverse (server reply; reverse metadata until a forward packet
//                         arrives without metadata), encapsulated toward the peer.
//   WAN, from a peer      HMAC verify (the cookie is looked at first: no session and no cookie
//                         means drop without HMAC work) -> metadata decode -> session (created at
//                         the egress from the forward context; handshake flags updated) ->
//                         control messages consumed -> payload decrypted -> original tuple
//                         restored -> LAN.
//   ICMP error, any side  never a first packet: the quoted packet must be one of a live session
//                         (tuple, direction, TCP sequence); from the LAN of a peer session it is
//                         relayed to the peer (TLV 20/21), which rebuilds it for its end host;
//                         otherwise dropped and counted (§2.11.1).
// Metadata handshake (§2.6): the ingress sends forward metadata on every forward packet until a
// reverse packet with metadata arrives; the egress sends reverse metadata (with TLV 18) until a
// forward packet without metadata arrives. TCP carries metadata only on SYN / SYN-ACK (O-9).
// Protocols: TCP keeps TCP between peers, UDP keeps UDP, ICMP echo and every other protocol travel
// as UDP with waypoint ports and come out byte-identical (§2.11).
// Crypto: the hop policy of the peer (send) / WAN interface (receive) signs every packet and
// encrypts the payload-TLV section; a service with a security policy has its payload encrypted end
// to end (TLV 11). A hop policy with an AES-GCM cipher and no HMAC authenticates with GCM instead.
// IP fragments (either side) are reassembled in a bounded per-worker pool and the datagram is
// processed as one packet (ip_reassembly.h, §2.14.1); the fast path never looks at the pool.
// Over-MTU LAN packets (§2.14.2): a sender that can act on it is told the size that fits
// (`too_big_sent`); an IPv4 packet without DF, or a datagram reassembled here, leaves as outer
// IPv4 / IPv6 fragments (`outer_fragmented`). A packet carrying metadata that fits only without
// it leaves as SVR fragments (Fragment TLV, each hop-authenticated), reassembled by the peer
// (svr_fragment_path.cc, §2.14). Packets larger than a LAN interface's MTU leave as IP fragments
// when they may be split (`lan_fragmented`, lan_fragment.cc). A reassembled datagram too large
// for its frame is processed in the worker's large frame (outer_fragment.h).
// The peer layer (peer_layer.cc, when PipelineOptions::run_peer_layer) runs BFD and link tests
// on every peer path and moves sessions off a path that goes down (MovePeerPath).
//
// Files, one per role (the private declarations they share are in pipeline_internal.h):
//   pipeline.cc      core: Create / Init / BuildState / Reload, Poll / ProcessBurst, Expire,
//                    classification by side, session admission (AdmitSession) and removal,
//                    transmit queues.
//   ingress.cc       LAN side: first packet (policy -> route -> session), ToPeer, local breakout,
//                    the adaptive-encryption decision (AdaptiveDecide, docs/protocol.md §4.10).
//   wan_receive.cc   WAN side: a packet from a peer, verify -> decode -> resolve its session, then
//                    handed to the egress, transit or control role.
//   egress.cc        toward the LAN: ToLan, EgressFirst (session from forward metadata), SendReset.
//   transit.cc       intermediate router: TransitFirst, Relay.
//   icmp_error.cc    ICMP errors: matched against the session they quote (§2.11.1).
//   ip_reassembly.{h,cc}  the per-worker IP fragment pool (Pipeline::HandleFragment in
//                    pipeline.cc feeds it; §2.14.1).
//   pmtu.{h,cc}      path MTU: frag-needed / Packet Too Big for LAN packets that no longer fit.
//   outer_fragment.{h,cc}  outer IPv4 / IPv6 fragmentation of sealed packets from DF-clear LAN
//                    packets and reassembled datagrams; the large frame (TransmitLarge).
//   lan_fragment.cc  packets over a LAN interface's MTU split into IP fragments (SendToLan).
//   svr_fragment_path.{h,cc}  SVR fragmentation of packets with metadata and their reassembly.
//   peer_layer.cc    BFD and link tests through this pipeline's ports, path status, failover.
//   route_choice.{h,cc}  several routes of a service: hunt / round robin / proportional.
//   session_budget.{h,cc}  router-wide session limits shared by the workers.
//   control.cc       control messages received and sent (§2.16), their rate limit, NAT keep-alives.
//   burst_seal.{h,cc} burst sealing of the fast path toward peers (DeferSeal / SealDeferred).
//   burst_open.{h,cc} burst opening of the fast path from peers (DeferOpen / OpenDeferred).
//   peer_hop.{h,cc}  per-peer state (paths, waypoint pools, hop crypto), FindPeer, MovePeerPath,
//                    metadata encoding (EncodeWith / BuildMetadata), HopSealAndSend.
//   rekey.cc         automatic rekeying: the hop crypto of each epoch, prepared ahead of time and
//                    swapped in at the boundary (RekeyTick; key_rotation.h, §4.7.1).
//   mss_clamp.{h,cc} TCP MSS clamping of SYN / SYN-ACK (ClampSynMss, called by ToPeer and ToLan).
//   key_rotation.{h,cc}  keys a Reload took out of service, accepted for their overlap (§4.7).
#ifndef SSR_PIPELINE_PIPELINE_H_
#define SSR_PIPELINE_PIPELINE_H_

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/model.h"
#include "crypto/cbc.h"
#include "crypto/packet_crypto.h"
#include "io/port.h"
#include "packet/header_views.h"
#include "packet/packet_info.h"
#include "packet/parse_result.h"
#include "packet/parser.h"
#include "pipeline/encap.h"
#include "pipeline/key_rotation.h"
#include "pipeline/path_board.h"
#include "pipeline/neighbor_table.h"
#include "peer/peer_paths.h"
#include "pipeline/route_choice.h"
#include "pipeline/uuid_index.h"
#include "policy/policy.h"
#include "session/session_table.h"
#include "session/waypoint.h"
#include "svr/metadata.h"
#include "util/counters.h"

namespace ssr::svr {
class FragmentReassembler;  // svr/fragment.h
}  // namespace ssr::svr

namespace ssr::pipeline {

#define SSR_PIPELINE_COUNTERS(X)                                                                  \
  X(kRxPackets, "rx_packets", "frames received")                                                  \
  X(kTxPackets, "tx_packets", "frames handed to a port for transmission")                         \
  X(kTxRingFull, "tx_ring_full", "dropped: the egress port did not accept the frame", kDrop)      \
  X(kParseError, "parse_error", "dropped: malformed frame (see the packet parser's reasons)", kDrop) \
  X(kNotIp, "not_ip", "dropped: not IPv4/IPv6 (ARP/ND belong to the kernel, XDP passes them)", kDrop) \
  X(kIpFragment, "ip_fragment", "IP fragment received (either side), handed to reassembly (§2.14.1)") \
  X(kIpFragReassembled, "ip_frag_reassembled", "datagram reassembled from IP fragments, processed as one packet") \
  X(kIpFragLargeBuffer, "ip_frag_large_buffer", "reassembled datagram too large for its frame (with room for SVR), rebuilt in the worker's large frame (§2.14.1)") \
  X(kIpFragTiny, "ip_frag_tiny", "dropped: first fragment too small to hold the whole transport header (RFC 1858)", kDrop) \
  X(kIpFragOverlap, "ip_frag_overlap", "dropped: fragment overlapping one held; its datagram is discarded", kDrop) \
  X(kIpFragDuplicate, "ip_frag_duplicate", "dropped: fragment already held (same offset and length)", kDrop) \
  X(kIpFragBadLength, "ip_frag_bad_length", "dropped: empty or misaligned fragment, or datagram end inconsistent; datagram discarded", kDrop) \
  X(kIpFragTooMany, "ip_frag_too_many", "dropped: more fragments than a datagram may have (16); datagram discarded", kDrop) \
  X(kIpFragTooBig, "ip_frag_too_big", "dropped: datagram larger than 9216 bytes of data (or than the worker's large frame); datagram discarded", kDrop) \
  X(kIpFragPoolFull, "ip_frag_pool_full", "dropped: fragment of a new datagram while every reassembly slot is in use", kDrop) \
  X(kIpFragDiscarded, "ip_frag_discarded", "dropped: fragment of a datagram already discarded", kDrop) \
  X(kIpFragNested, "ip_frag_nested", "dropped: reassembled datagram still a fragment (a second IPv6 fragment header)", kDrop) \
  X(kIpFragTimeout, "ip_frag_timeout", "dropped: datagram not complete within ip_reassembly_timeout_ms (counted once per datagram)", kDrop) \
  X(kUnknownInterface, "unknown_interface", "dropped: frame from an interface not in the config", kDrop) \
  X(kTtlExceeded, "ttl_exceeded", "dropped: TTL / hop limit would reach 0", kDrop)               \
  X(kIcmpErrorMalformed, "icmp_error_malformed",                                                \
    "dropped: ICMP error whose quoted packet is truncated or malformed (§2.11.1)", kDrop)         \
  X(kIcmpErrorNoSession, "icmp_error_no_session",                                               \
    "dropped: ICMP error quoting no packet of a live session sent on that side (§2.11.1)", kDrop) \
  X(kIcmpErrorBadSeq, "icmp_error_bad_seq",                                                     \
    "dropped: ICMP error quoting a TCP sequence number outside the session's tracked range (§2.11.1)", kDrop) \
  X(kIcmpErrorNotRelayed, "icmp_error_not_relayed",                                             \
    "dropped: ICMP error matching a live session where it is not relayed: WAN side, local breakout, transit (§2.11.1)", kDrop) \
  X(kIcmpErrorRelayed, "icmp_error_relayed", "ICMP error matching a session sent to the peer along it (TLV 20/21, §2.11.1)") \
  X(kIcmpErrorDelivered, "icmp_error_delivered", "relayed ICMP error rebuilt for the end host and delivered (§2.11.1)") \
  X(kFirstPacket, "first_packet", "LAN packet that matched no session (new session attempt)")     \
  X(kPolicyDrop, "policy_drop", "dropped: the access policy refused it (see policy_* counters)", kDrop) \
  X(kTcpNotSynReset, "tcp_not_syn_reset", "TCP first packet without SYN answered with RST (§7.27)") \
  X(kTcpNotSynDrop, "tcp_not_syn_drop", "dropped: TCP first packet without SYN (block, or an RST)", kDrop) \
  X(kTcpBadFlags, "tcp_bad_flags", "dropped: TCP first packet with a flag combination no TCP sends (SYN+FIN, SYN+RST, none, ...; §6)", kDrop) \
  X(kNoRoute, "no_route", "dropped: allowed service has no route on this router", kDrop)          \
  X(kNoUsableRoute, "no_usable_route",                                                         \
    "dropped: every route of the service leads to a peer with no peer path up (§5.8)", kDrop)      \
  X(kWaypointsExhausted, "waypoints_exhausted", "dropped: no free waypoint port pair", kDrop)     \
  X(kSessionRefused, "session_refused", "dropped: session table full or key in use", kDrop)       \
  X(kTenantLimit, "tenant_session_limit", "dropped: tenant reached max_sessions_per_tenant (router-wide)", kDrop) \
  X(kRouterSessionLimit, "router_session_limit",                                               \
    "dropped: the router's workers together hold max_sessions and this worker had no embryonic session to evict", kDrop) \
  X(kSessionCreated, "session_created", "session created (ingress, egress or local breakout)")    \
  X(kBurstSealed, "burst_sealed",                                                              \
    "packets toward a peer sealed in a burst (intel-ipsec-mb: payload AES-CBC if encrypted, hop HMAC-SHA256) rather than one at a time") \
  X(kBurstOpened, "burst_opened",                                                              \
    "packets from a peer whose hop tag was verified (and payload AES-CBC decrypted, if encrypted) in a burst (intel-ipsec-mb) rather than one at a time") \
  X(kLocalBreakout, "local_breakout", "forwarded natively to a LAN next hop (no SVR)")            \
  X(kNoNeighbor, "no_neighbor", "dropped: no MAC known for the next hop", kDrop)                  \
  X(kNoRoom, "no_room", "dropped: frame buffer too small for metadata and trailers", kDrop)       \
  X(kExceedsMtu, "exceeds_mtu", "dropped: packet would exceed the peer's path MTU and no ICMP error or fragmentation applies (§2.14.2)", kDrop) \
  X(kTooBigSent, "too_big_sent",                                                                \
    "dropped: LAN packet over the path MTU once SVR is added, answered with ICMP frag-needed / ICMPv6 Packet Too Big (§2.14.2)", kDrop) \
  X(kTooBigRateLimited, "too_big_rate_limited",                                                 \
    "dropped: LAN packet over the path MTU whose ICMP error the per-worker rate limit suppressed (§2.14.2)", kDrop) \
  X(kTooBigNoAddress, "too_big_no_address",                                                     \
    "dropped: IPv4 LAN packet over the path MTU; its LAN interface has no IPv4 address to send frag-needed from", kDrop) \
  X(kExceedsMtuDfClear, "exceeds_mtu_df_clear",                                                 \
    "dropped: packet allowed to be fragmented over the path MTU whose outer packet could not be split (over 32 fragments, DF on the outer header; §2.14.2)", kDrop) \
  X(kOuterFragmented, "outer_fragmented",                                                       \
    "outer IPv4 / IPv6 fragments sent for LAN packets without DF or reassembled datagrams over the path MTU (frames, §2.14.2)") \
  X(kLanFragmented, "lan_fragmented",                                                           \
    "IP fragments sent on a LAN interface for packets larger than its MTU (frames, §2.14.2)")     \
  X(kLanExceedsMtu, "lan_exceeds_mtu",                                                          \
    "dropped: packet toward a LAN larger than the interface's MTU that may not be fragmented (IPv4 with DF, IPv6 not reassembled here; §2.14.2)", kDrop) \
  X(kLargeFrameUnsent, "large_frame_unsent",                                                    \
    "dropped: packet in the worker's large frame on a path that does not split it, larger than a pool frame (§2.14.1)", kDrop) \
  X(kSvrFragmentsSent, "svr_fragments_sent",                                                   \
    "SVR fragments sent: frames of packets that fit the path MTU only without their metadata (§2.14)") \
  X(kSvrFragmentedPackets, "svr_fragmented_packets", "packets with metadata sent as SVR fragments (§2.14)") \
  X(kSvrFragReceived, "svr_frag_received", "authenticated SVR fragment from a peer, handed to reassembly (§2.14)") \
  X(kSvrFragReassembled, "svr_frag_reassembled", "packet rebuilt from SVR fragments, processed as one packet (§2.14)") \
  X(kSvrFragDuplicate, "svr_frag_duplicate", "dropped: SVR fragment already held (this fragment only)", kDrop) \
  X(kSvrFragOverlap, "svr_frag_overlap", "dropped: SVR fragment overlapping held data, or disagreeing on the end", kDrop) \
  X(kSvrFragBadLength, "svr_frag_bad_length", "dropped: SVR fragment not the last whose data is not a multiple of 8", kDrop) \
  X(kSvrFragTooBig, "svr_frag_too_big", "dropped: SVR fragment data beyond 4096 bytes, or a rebuilt packet larger than the frame", kDrop) \
  X(kSvrFragPoolFull, "svr_frag_pool_full", "dropped: unfinished SVR datagram evicted for a new one, every slot busy (once per datagram)", kDrop) \
  X(kSvrFragTimeout, "svr_frag_timeout", "dropped: SVR datagram not complete within svr_reassembly_timeout_ms (once per datagram)", kDrop) \
  X(kTcpInvalid, "tcp_invalid", "dropped: strict transport-state enforcement", kDrop)             \
  X(kTcpRstOutOfWindow, "tcp_rst_out_of_window", "dropped: TCP RST outside the receiver's window (§6)", kDrop) \
  X(kTcpFinOutOfWindow, "tcp_fin_out_of_window", "dropped: TCP FIN outside the receiver's window (§6)", kDrop) \
  X(kMssClamped, "mss_clamped", "TCP SYN / SYN-ACK whose MSS option was lowered to fit the WAN path (§2.7.1)") \
  X(kMdSentForward, "md_sent_forward", "forward metadata added (ingress)")                        \
  X(kMdSentReverse, "md_sent_reverse", "reverse metadata added (egress)")                         \
  X(kMdSkippedTcp, "md_skipped_tcp_not_syn", "metadata pending but the TCP segment is not a SYN (O-9)") \
  X(kMdReceivedForward, "md_received_forward", "forward metadata received (egress)")              \
  X(kMdReceivedReverse, "md_received_reverse", "reverse metadata received (ingress)")             \
  X(kForwardMdStopped, "forward_md_stopped", "ingress stopped forward metadata (handshake)")      \
  X(kReverseMdStopped, "reverse_md_stopped", "egress stopped reverse metadata (handshake)")       \
  X(kFalsePositiveAdded, "md_false_positive_added", "payload began with the cookie: marker added (§3.8)") \
  X(kFalsePositiveRemoved, "md_false_positive_removed", "false-positive marker removed (§3.8)")  \
  X(kWanNotPeer, "wan_not_peer", "dropped: WAN packet from an address that is no configured peer", kDrop) \
  X(kWanNotWaypoint, "wan_not_waypoint", "dropped: WAN packet to no waypoint of this router", kDrop) \
  X(kWanVlanMismatch, "wan_vlan_mismatch", "dropped: WAN frame whose VLAN is not the interface's vlan (untagged when it has none)", kDrop) \
  X(kWanNoSession, "wan_no_session", "dropped: no session and no metadata (no HMAC work, §7.53)", kDrop) \
  X(kPeerLiveness, "peer_liveness", "dropped: peer liveness (BFD, UDP 1280) from a peer; the peer layer does not run in this pipeline (§5.1)", kDrop) \
  X(kPeerFrameIn, "peer_frame_in", "peer liveness frame (BFD, link test, UDP 1280) handed to the peer layer (§5.1)") \
  X(kPeerFrameOut, "peer_frame_out", "peer liveness frame sent by the peer layer (§5.1)")       \
  X(kPeerFrameNoNeighbor, "peer_frame_no_neighbor", "peer liveness frame not sent: no MAC for the peer address yet (resolution asked for)") \
  X(kPeerPathDown, "peer_path_went_down", "a peer path was reported down by BFD: new sessions avoid it, its sessions move (§5.7)") \
  X(kPeerPathUp, "peer_path_went_up", "a peer path was reported up by BFD (§5.7)")              \
  X(kNoPathMeetsSla, "no_path_meets_sla", "dropped: new session refused, its service's strict SLA is met by no usable path of the peer (§5.6)", kDrop) \
  X(kSessionReverted, "session_reverted", "session moved back to a more preferred path after the revert hold-down (§5.7)") \
  X(kSessionRerouted, "session_rerouted", "session moved to the route of another peer: every path of its peer is down (§5.7)") \
  X(kSessionNotMoved, "session_not_moved", "session left on a failed path: its service allows no failover, or no other path is usable (§5.7)") \
  X(kHopKeySwitched, "hop_key_switched", "fast-path packet verified under another accepted key than its session's: the peer rotated (§4.7)") \
  X(kAuthFail, "auth_fail", "dropped: HMAC / GCM tag, window or key id check failed (no state, no reply)", kDrop) \
  X(kMdMalformed, "md_malformed", "dropped: metadata did not decode (see md_* reasons)", kDrop)   \
  X(kMdDecryptFail, "md_decrypt_fail", "dropped: payload-TLV section did not decrypt", kDrop)     \
  X(kMdIncomplete, "md_incomplete", "dropped: first-packet metadata without context/UUID/tenant/service", kDrop) \
  X(kMdUnknownName, "md_unknown_name", "dropped: tenant or service name unknown to this router", kDrop) \
  X(kEgressDenied, "egress_denied", "dropped: the egress policy denies the tenant this service", kDrop) \
  X(kEgressServiceMismatch, "egress_service_mismatch",                                         \
    "dropped: forward context's destination, protocol or port is not the named service's (§6)", kDrop) \
  X(kEgressSourceImplausible, "egress_source_implausible",                                     \
    "dropped: forward context's client address lies on a LAN subnet of this router (§6)", kDrop) \
  X(kTransitUnsupported, "transit_unsupported",                                                 \
    "dropped: transit back to the peer it came from, or between TCP and UDP-transformed hops", kDrop) \
  X(kTransitRelayed, "transit_relayed", "packet relayed between two peers (intermediate router)") \
  X(kDuplicateFirst, "duplicate_first_packet", "forward metadata for an existing session (retransmission)") \
  X(kReplayDropped, "replay_dropped", "dropped: exact re-send of one of the session's last 15 fast-path packets (replay_filter, §6)", kDrop) \
  X(kSessionReplaced, "session_replaced", "outer tuple reused with a new UUID: old session replaced") \
  X(kAdaptivePlain, "adaptive_plain",                                                           \
    "adaptive encryption: first payload already encrypted (TLS, DTLS, ESP, IKE), session payload left unencrypted (§4.10)") \
  X(kAdaptiveEncrypted, "adaptive_encrypted",                                                   \
    "adaptive encryption: first payload clear, session payload encrypted (§4.10)")              \
  X(kAdaptiveSwitchApplied, "adaptive_switch_applied",                                          \
    "adaptive encryption: TLV 11 re-signalled on a TCP session, payload decrypted from then on (§4.10)") \
  X(kPayloadDecryptFail, "payload_decrypt_fail", "dropped: payload did not decrypt", kDrop)     \
  X(kCryptoFail, "crypto_fail", "dropped: sealing or signing failed (see crypto counters)", kDrop) \
  X(kProtocolMismatch, "protocol_mismatch", "dropped: packet does not fit the session's carried protocol", kDrop) \
  X(kCtrlSentEnable, "ctrl_sent_enable_md", "control Enable SVR Metadata sent (§2.8)")          \
  X(kCtrlRateLimited, "ctrl_rate_limited", "control reply suppressed by the per-peer rate limit") \
  X(kCtrlSentDisable, "ctrl_sent_disable_md", "control Disable SVR Metadata sent (one-way flow)") \
  X(kCtrlSentDelete, "ctrl_sent_delete", "control Delete Session sent")                         \
  X(kCtrlDeleteSuppressed, "ctrl_delete_suppressed",                                            \
    "Delete Session for an evicted or expired session not sent: per-peer rate limit (§2.10.1)")  \
  X(kEmbryonicLimit, "embryonic_limit",                                                         \
    "dropped: the client address or tenant holds its cap of embryonic sessions (§2.10.1)", kDrop) \
  X(kCtrlSentKeepAlive, "ctrl_sent_keep_alive", "control Keep Alive sent on an idle session (NAT)") \
  X(kCtrlSentHealthAck, "ctrl_sent_health_ack", "control Session Health Check: state exists sent") \
  X(kCtrlReceived, "ctrl_received", "control packet consumed (never forwarded, §7.43)")         \
  X(kCtrlEnable, "ctrl_enable_md", "Enable SVR Metadata applied to a session")                  \
  X(kCtrlDisable, "ctrl_disable_md", "Disable SVR Metadata applied to a session")               \
  X(kCtrlDelete, "ctrl_delete_session", "Delete Session removed a session")                     \
  X(kCtrlKeepAlive, "ctrl_keep_alive", "Keep Alive refreshed a session")                         \
  X(kCtrlHealthAck, "ctrl_health_ack", "Session Health Check ack cleared a pending check")       \
  X(kCtrlNoSession, "ctrl_no_session", "control packet for no known session")                    \
  X(kCtrlUnknown, "ctrl_unknown", "control packet with an unknown reason")                       \
  X(kHealthCheckSent, "health_check_sent", "TLV 46 request added after inactivity (§2.8)")       \
  X(kNoPool, "no_frame", "control packet not sent: frame pool empty")                            \
  X(kSessionClosed, "session_closed", "session removed after TCP close or RST")               \
  X(kReloads, "reloads", "config snapshots applied by Reload")                                  \
  X(kRekeyEpochChanged, "rekey_epoch_changed", "hop crypto switched to a new epoch's keys (automatic rekeying, §4.7.1)") \
  X(kRekeyFailed, "rekey_failed", "an epoch's hop crypto could not be built (OpenSSL failed); the previous keys stay in use") \
  X(kSessionMoved, "session_moved", "session moved to another peer path (sender side)")         \
  X(kSessionMoveFailed, "session_move_failed", "no waypoint pair on the new path: not moved")    \
  X(kSessionRebound, "session_rebound", "session found by UUID on a new outer tuple and rebound") \
  X(kRebindRefused, "rebind_refused",                                                           \
    "dropped: metadata moving a held session to a new tuple without a higher move sequence, or onto a live session's (§2.9)", kDrop) \
  X(kReverseMdRestarted, "reverse_md_restarted",                                                \
    "forward metadata on a session whose handshake had completed: reverse metadata sent again (§2.6)") \
  X(kCtrlOtherProtocol, "ctrl_other_protocol",                                                  \
    "control packet for a protocol with no session on its tuple; the other protocol's session left alone (§2.16)") \
  X(kReloadRemoved, "reload_removed_session",                                                   \
    "session removed by Reload: its tenant, service or peer is gone from the new config")         \
  X(kHandoffSent, "handoff_sent",                                                               \
    "frame owned by another worker of this router, copied into its handoff ring (§2.10.2)")       \
  X(kHandoffReceived, "handoff_received",                                                       \
    "frame another worker handed over, processed here (not counted in rx_packets, §2.10.2)")      \
  X(kHandoffRingFull, "handoff_ring_full",                                                      \
    "dropped: the owner worker's handoff ring was full (never waited for, §2.10.2)", kDrop)       \
  X(kHandoffTooLarge, "handoff_too_large",                                                      \
    "dropped: frame owned by another worker larger than a handoff slot (§2.10.2)", kDrop)

SSR_DEFINE_COUNTER_ENUM(PipelineCounter, SSR_PIPELINE_COUNTERS)

// How lost egress state is detected (§2.8).
enum class RecoveryMode : uint8_t { kPacketBased, kInactivityBased };

class SessionBudget;  // session_budget.h

struct PipelineOptions {
  std::shared_ptr<const config::Config> config;
  std::string router;
  // Worker id (separates GCM nonce spaces of the workers of one router).
  uint8_t worker_id = 0;
  // Session-table size of this pipeline. 0: config.limits.max_sessions.
  uint32_t max_sessions = 0;
  // The router-wide session limits shared by the workers of one router (session_budget.h),
  // which must outlive the pipeline. Null: the pipeline makes its own from the config's
  // limits.max_sessions (one worker, or tests).
  SessionBudget* budget = nullptr;
  // MAC of each router interface, by config interface index; missing entries get
  // 02:55:<router index>:00:00:<interface index>.
  std::vector<packet::MacAddress> interface_macs;
  RecoveryMode recovery = RecoveryMode::kPacketBased;
  uint64_t inactivity_ms = 5000;          // inactivity-based recovery timeout (§2.8)
  uint32_t control_replies_per_second = 100;  // Enable-Metadata replies per peer (§2.8)
  // Delete Session messages per peer and second for sessions the table removed itself (eviction,
  // expiry); the rest are counted (ctrl_delete_suppressed) and left to the peer's timeout (§2.10).
  uint32_t removal_deletes_per_second = 100;
  // One-way flows (§2.6): the egress sends Disable SVR Metadata after this many forward packets
  // carrying metadata without any reverse packet.
  uint32_t disable_md_after_packets = 10;
  size_t neighbor_capacity = 4096;
  // ICMP frag-needed / Packet Too Big to LAN senders (§2.14.2): a token bucket per worker,
  // refilled at this rate, holding at most `too_big_burst` tokens (0 per second: none sent).
  uint32_t too_big_per_second = 100;
  uint32_t too_big_burst = 10;
  // The peer layer (docs/protocol.md §5.1, §5.7; peer_layer.cc): BFD and link tests on every
  // peer path, sent and received through this pipeline's ports, path status driving route and
  // path choice and moving sessions off a path that goes down. One pipeline per router runs it
  // (the Router: worker 0). Off: UDP 1280 from peers is dropped (peer_liveness).
  bool run_peer_layer = false;
  // Monotonic microseconds for the first-packet latency (ServiceCounts::setup_*); null:
  // CLOCK_MONOTONIC. Tests pass a fake clock.
  uint64_t (*clock_us)() = nullptr;
  peer::PeerPathsOptions peer_options;  // BFD / link-test timers (defaults: SVR's, §5.2)
  // Path status and quality shared by the pipelines of one router (path_board.h): the pipeline
  // running the peer layer publishes there, every pipeline applies what it reads to its own
  // sessions (path choice, failover, revert). Not owned; must outlive the pipeline. Null: a
  // pipeline that runs the peer layer uses a board of its own; one that does not only changes
  // paths through ApplyPeerPathState / SetPeerPathUp.
  PathBoard* path_board = nullptr;
  // Reassembly of SVR fragments from peers (§2.14): datagrams in progress at once per worker
  // (each slot holds up to 4096 bytes of body and 2048 of first-fragment metadata, allocated at
  // creation), and how long an unfinished one is kept.
  uint32_t svr_reassembly_slots = 32;
  uint32_t svr_reassembly_timeout_ms = 2000;
  // Seal the fast path toward peers (AES-CBC payload + HMAC-SHA256 hop) a burst at a time with
  // intel-ipsec-mb (burst_seal.h), and open the fast path from peers likewise (burst_open.h);
  // byte-identical to the one-at-a-time OpenSSL path, which stays in use when this is off or the
  // library / CPU feature is missing (burst_crypto_status()).
  bool burst_crypto = true;
  // Flow steering between the workers of one router (docs/protocol.md §2.10.2,
  // session/flow_owner.h). With workers > 1 a frame whose owner (FlowOwner) is another worker is
  // not processed here: it is given to `steer` (which copies it, e.g. into that worker's handoff
  // ring, or says why it could not: counted, dropped) and freed. The owner processes it with
  // ProcessHandedOff. workers <= 1: one branch per frame, nothing else.
  uint32_t workers = 1;
  enum class SteerResult : uint8_t { kHandedOff, kRingFull, kTooLarge };
  SteerResult (*steer)(void* context, uint32_t owner, size_t interface, const io::Frame& frame,
                       bool reassembled) = nullptr;
  void* steer_context = nullptr;
};

class ReplayFilter;  // replay_filter.h
struct SvrFragmentPlan;  // svr_fragment_path.h
class IpReassembly;  // ip_reassembly.h

// Called when the pipeline creates a session (opened = true) and when a session ends for any
// reason (timeout, eviction, Delete Session, replaced, reload; opened = false), with the record
// still intact. Runs on the worker thread inside packet processing: it must be short, must not
// block, allocate or call back into the pipeline (copy what you need into a queue).
using SessionObserver = void (*)(void* context, const session::Session& session, bool opened);

// What happened to one received frame (for tests and statistics; the counters have the detail).
enum class Disposition : uint8_t { kForwarded, kDropped, kConsumed };

class Pipeline {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(const PipelineOptions& options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Wiring: the port of each config interface (by index) and the pool their frames come from.
  void Bind(size_t interface, io::Port* port) { ports_.at(interface) = port; }
  void SetPool(io::FramePool* pool) { pool_ = pool; }
  // OK when packets toward peers are sealed in bursts (PipelineOptions::burst_crypto); else why
  // not (option off, no intel-ipsec-mb in the build, CPU without a vector AES path).
  const absl::Status& burst_crypto_status() const { return burst_status_; }
  NeighborTable& neighbors() { return neighbors_; }
  // Time-based HMAC windows and GCM window hints are computed from unix time (§4.4: routers
  // share wall-clock time, not uptime), while sessions time out on the caller's monotonic clock.
  // The caller passes monotonic milliseconds everywhere and sets the offset unix - monotonic (in
  // ms) here, refreshed from its slow path so clock adjustments are followed. Default 0: the
  // clock passed in is unix time already (tests).
  void SetWallClockOffset(int64_t unix_minus_monotonic_ms) {
    wall_offset_ms_ = unix_minus_monotonic_ms;
    rekey_next_ms_ = 0;  // the epoch may have changed (rekey.cc)
  }

  void SetSessionObserver(SessionObserver observer, void* context) {
    observer_ = observer;
    observer_context_ = context;
  }

  // Processes frames received on `interface`. Each frame is transmitted (queued per egress port
  // and handed to it before return), or freed. `dispositions`, if not empty, receives one entry
  // per frame.
  void ProcessBurst(size_t interface, std::span<io::Frame> frames, uint64_t now_ms,
                    std::span<Disposition> dispositions = {});
  // A frame another worker handed over (PipelineOptions::steer), copied into a frame of this
  // pipeline's pool: processed as if received on `interface`, without being steered again
  // (a datagram it completes by reassembly may be). Transmitted or freed like ProcessBurst's
  // frames; call FlushHandedOff after a batch.
  // `now_us` (the clock of the drain, as Poll's): a session's first packet is measured for
  // setup latency from then, so the time it waited in the handoff ring is not included.
  Disposition ProcessHandedOff(size_t interface, io::Frame& frame, bool reassembled,
                               uint64_t now_ms, uint64_t now_us);
  void FlushHandedOff();
  void CountHandoffTooLarge() { counters_.Increment(PipelineCounter::kHandoffTooLarge); }
  // The worker (< workers) that owns a frame received on `interface` (session/flow_owner.h):
  // LAN by the flow class of its tuple, WAN by the port class of its destination port (our
  // waypoint port), the peer layer's UDP 1280 worker 0, ICMP errors by the packet they quote,
  // IP fragments by their addresses (reassembly happens in one worker). `self` when the frame has
  // no owner (it is dropped wherever it is).
  uint32_t FlowOwner(size_t interface, std::span<const uint8_t> frame,
                     const packet::PacketInfo& info, uint32_t self) const;
  // Applies a new config snapshot for the same router, keeping established sessions (mapped by
  // tenant / service / peer name; sessions whose tenant, service or peer disappeared are removed
  // and counted). The new policy, routes and keys apply to new sessions and packets from now on.
  // On error (the router is missing, its interface list changed, crypto setup failed) nothing
  // changes. Call from the worker thread, between bursts. Session-table sizes and timeouts are
  // fixed at creation and are not changed by a reload, nor is the IP reassembly pool.
  absl::Status Reload(std::shared_ptr<const config::Config> config);
  // Reload at monotonic time now_ms (the start of the key rotation overlap, docs/protocol.md
  // §4.7); the one-argument form uses the clock of the last burst or sweep.
  absl::Status Reload(std::shared_ptr<const config::Config> config, uint64_t now_ms) {
    if (now_ms > now_ms_) now_ms_ = now_ms;
    return Reload(std::move(config));
  }

  // Marks path `path` (index into the peer's addresses) of peer `peer` (config index) up or down,
  // as the peer layer (BFD, link tests) decides; paths start up. A route whose peer has no path
  // up is skipped when new sessions choose a route (route_choice.h), and a new session toward a
  // peer takes its first path that is up. Existing sessions are not moved (MovePeerPath does
  // that). Kept across Reload for peers and addresses that remain. False for indices out of
  // range. Call from the worker thread, between bursts.
  bool SetPeerPathUp(size_t peer, size_t path, bool up);
  // Whether path `path` of peer `peer` is up (false for indices out of range).
  bool PeerPathUp(size_t peer, size_t path) const;
  // The same for the path of `peer` between these waypoints (true when the pipeline has no such
  // path: it never refuses a path it does not know).
  bool PeerPathUpByAddress(size_t peer, const util::IpAddress& local,
                           const util::IpAddress& remote) const;
  // Applies a path's status and link-test quality (as the peer layer measured it, path_board.h)
  // to this pipeline: new sessions choose among the usable paths by their service's policy
  // (ChoosePeerPath); when the path goes down, or stops meeting the SLA of a service policy,
  // the sessions on it whose service allows failover move to the best other path (MovePeerPath's
  // mechanism, one session at a time); when a path comes back up or within SLA, sessions of
  // revertible services move back to it once it has held for their revert hold-down (checked by
  // Poll). Returns the number of sessions moved now. Worker thread, between bursts.
  size_t ApplyPeerPathState(size_t peer, size_t path, const PathRecord& record, uint64_t now_ms);
  // Board slot of path `path` of peer `peer` (config order), PathBoard::kMaxPaths when none.
  size_t PathSlot(size_t peer, size_t path) const;
  // The path a new session of `service` toward `peer` would take now (path_choice.cc), or
  // nullopt with the reason.
  struct PathPick {
    std::optional<size_t> path;
    peer::PathChoiceReason reason = peer::PathChoiceReason::kNoPathUp;
  };
  PathPick ChoosePeerPath(size_t peer, size_t service) const;
  // Sessions this router opened for each service as the first router (by config service index;
  // reset by a Reload): opened, refused (table or tenant limit, no waypoint pair), and dropped
  // because no route was usable (no_path). The application health of docs/operations.md.
  //
  // First-packet latency (docs/operations.md "WAN assurance"), kept for every session this
  // pipeline creates, as the first router, a waypoint or the egress router: from the burst start
  // (the `now_us` of Poll, or one clock read by ProcessBurst) to the TX flush that submitted the
  // packet's descriptor (one clock read per flush, only when the flush carries such a packet). A
  // log2 histogram of microseconds (SetupBucket); a first packet that is dropped, or consumed
  // without being sent (a fragment held for reassembly), records nothing.
  static constexpr size_t kSetupBuckets = 24;
  // Bucket of a latency: 0 for ≤ 1 µs, i for (2^(i-1), 2^i] µs, kSetupBuckets - 1 for more than
  // 2^(kSetupBuckets-2) µs.
  static constexpr size_t SetupBucket(uint64_t us) {
    if (us <= 1) return 0;
    const size_t b = static_cast<size_t>(std::bit_width(us - 1));
    return b < kSetupBuckets - 1 ? b : kSetupBuckets - 1;
  }
  struct ServiceCounts {
    uint64_t opened = 0;
    uint64_t refused = 0;
    uint64_t no_path = 0;
    std::array<uint64_t, kSetupBuckets> setup_buckets{};
    uint64_t setup_count = 0;
    uint64_t setup_sum_us = 0;
  };
  const std::vector<ServiceCounts>& service_counts() const { return service_counts_; }
  // The peer layer when PipelineOptions::run_peer_layer (null otherwise): BFD state, quality and
  // counters of every path (peer/peer_paths.h). Read from the worker thread only.
  const peer::PeerPaths* peer_layer() const { return peer_paths_.get(); }

  // Moves every session this router opened toward peer `peer` (config index) on its path
  // `from_path` to `to_path` (indices into the peer's addresses), §2.9 / §5.7: new waypoint
  // ports on the new path, the same UUID, TCP state and timers; forward metadata is sent again
  // (on any TCP segment) until the peer answers on the new path, with the session's move
  // sequence one higher (TLV 60). The peer finds the session by UUID and rebinds it only for a
  // higher sequence than it accepted before (docs/protocol.md §2.9). Returns the number of
  // sessions moved (a session whose new waypoint pair cannot be allocated stays where it is,
  // counted). Called by the embedding program when the peer layer reports a path down (worker
  // thread, between bursts).
  size_t MovePeerPath(size_t peer, size_t from_path, size_t to_path, uint64_t now_ms);

  // One worker loop step: a burst from every bound port, processed and transmitted, ports
  // flushed. Returns the number of frames received.
  // The bursts' start for the first-packet latency is `now_us` (the caller's read of
  // CLOCK_MONOTONIC, or of PipelineOptions::clock_us, in µs); the one-argument form reads it.
  size_t Poll(uint64_t now_ms);
  size_t Poll(uint64_t now_ms, uint64_t now_us);
  // Session timeouts (budgeted sweep, see SessionTable::Expire) and NAT keep-alives (§2.13: a
  // Keep Alive control packet on every ingress session toward a peer with nat_keep_alive set that
  // has been idle that long, repeated at that interval; the same budget of slots is looked at).
  // Control packets it causes (Delete Session, Keep Alive) are transmitted before return.
  uint32_t Expire(uint64_t now_ms, uint32_t budget);

  const util::CounterArray<PipelineCounter>& counters() const { return counters_; }
  const util::CounterArray<policy::Verdict>& policy_counters() const { return policy_counters_; }
  const util::CounterArray<svr::DecodeResult>& decode_counters() const { return decode_counters_; }
  const util::CounterArray<packet::ParseResult>& parse_counters() const { return parse_counters_; }
  // The IP fragment reassembly pool (sized at creation from config limits; never resized).
  const IpReassembly& reassembly() const { return *reassembly_; }
  // Crypto counters summed over every hop and payload context of this worker.
  util::CounterArray<crypto::CryptoCounter> CryptoCounters() const;
  session::SessionTable& sessions() { return *sessions_; }
  const policy::RouterPolicy& policy() const { return *state_.policy; }
  const config::Router& router() const { return state_.policy->router(); }

 private:
  struct PeerState;      // peer_hop.h
  struct PeerPath;       // peer_hop.h
  // Automatic rekeying (rekey.cc): one PeerState::send or ::recv whose policy rekeys.
  struct RekeyedHop {
    size_t peer = 0;
    bool send = true;      // PeerState::send, else ::recv
    size_t policy = 0;     // index in Config::security_policies
    uint64_t interval_ms = 0;
    uint64_t epoch = 0;    // of the PacketCrypto in use
    // False until the first RekeyTick: the state was built at creation before any burst gave the
    // pipeline its clock, so the first epoch change is no rekey (not counted).
    bool clocked = false;
    // Prepared for epoch `next_epoch` (epoch + 1 once prepared); after a swap, the previous
    // epoch's object, kept until the next preparation so the boundary frees nothing.
    std::unique_ptr<crypto::PacketCrypto> next;
    uint64_t next_epoch = ~uint64_t{0};
  };
  struct ServiceCrypto;  // peer_hop.h
  struct Packet;         // pipeline_internal.h
  struct WanPacket;      // wan_receive.cc
  // Everything that depends on the config snapshot, swapped as a whole by Reload. The pipeline
  // keeps no copies of it: state_ is the one owner of the snapshot and of what was built from it.
  struct State {
    std::shared_ptr<const config::Config> config;
    std::unique_ptr<const policy::RouterPolicy> policy;
    std::vector<std::unique_ptr<PeerState>> peers;         // by config peer index
    std::vector<std::unique_ptr<ServiceCrypto>> services;  // by config service index
    RouteChooser routes;  // this router's routes per service and the strategies' state
    // Path choice per service policy (path_choice.cc), by config service-policy index; the
    // default policy (no SLA) is at index service_policies.size().
    std::vector<peer::ServicePolicy> path_policies;
    std::vector<RekeyedHop> rekey;  // hop crypto whose policy rekeys (rekey.cc)
  };
  explicit Pipeline(const PipelineOptions& options);
  absl::Status Init();
  // The session table's options from a config (limits, timeouts) and PipelineOptions.
  session::SessionTableOptions TableOptions(const config::Config& cfg) const;
  absl::StatusOr<State> BuildState(std::shared_ptr<const config::Config> config) const;
  // Board slots, preference ranks and path policies of `st` (path_choice.cc).
  static void BuildPathChoice(const config::Config& cfg, State* st);
  // Rekeying (rekey.cc). AddRekeyedHops: the RekeyedHop entries of `st` (built by BuildState),
  // their crypto replaced by the epoch of crypto_now. BuildEpochCrypto: the hop crypto of `h` for
  // `epoch`. RekeyTick, at the start of a burst / Expire when the crypto clock reaches
  // rekey_next_ms_: swaps in the prepared crypto at a boundary, prepares the next epoch's.
  absl::Status AddRekeyedHops(State& st, uint64_t crypto_now) const;
  absl::StatusOr<std::unique_ptr<crypto::PacketCrypto>> BuildEpochCrypto(const State& st,
                                                                           const RekeyedHop& h,
                                                                           uint64_t epoch) const;
  void RekeyTick(uint64_t crypto_now);
  void MaybeRekey(uint64_t now_ms) {
    if (!state_.rekey.empty() && CryptoNow(now_ms) >= rekey_next_ms_) [[unlikely]] {
      RekeyTick(CryptoNow(now_ms));
    }
  }
  const config::Config& config() const { return *state_.config; }
  void SetInterfaceMtus();  // if_mtu_ from the router's interfaces

  // Core (pipeline.cc): classification by side, session admission and removal, transmission.
  // reassembled: the frame holds a datagram this router reassembled from IP fragments (§2.14.1).
  Disposition Handle(size_t interface, io::Frame& frame, uint64_t now_ms, bool reassembled = false);
  // An IP fragment (slow path, pipeline.cc): held, dropped (counted), or the completed datagram
  // written into `frame` and handled as one packet.
  Disposition HandleFragment(size_t interface, io::Frame& frame, const packet::PacketInfo& info,
                             uint64_t now_ms);
  // ICMP / ICMPv6 error messages, either side (icmp_error.cc): never a first packet; matched
  // against the session whose packet they quote, relayed to the peer along it from the LAN side,
  // dropped and counted otherwise (§2.11.1). DeliverRelayedIcmpError is the far router's half: a
  // packet from a peer carrying TLV 20 / 21 (wan_receive.cc), rebuilt for the end host.
  Disposition HandleIcmpError(Packet& pkt, uint64_t now_ms);
  Disposition RelayIcmpError(const session::Session& s, session::Direction d, Packet& pkt,
                             const packet::IcmpQuote& q, uint64_t now_ms);
  Disposition DeliverRelayedIcmpError(Packet& pkt, const svr::Metadata& md, size_t md_total,
                                      size_t l4_len);
  // Session admission, the same wherever a session is created (first packet, egress, transit):
  // the tenant's session limit, the waypoint pair from `waypoints` (into init.reverse) when one
  // is given, the insert; counted, indexed by UUID when the session comes from received metadata
  // (`from_metadata`: it also counts that metadata packet), the observer told. nullptr: refused
  // (counted).
  session::Session* AdmitSession(session::SessionInit& init, session::WaypointPool* waypoints,
                                 bool from_metadata, uint64_t now_ms);
  // The peer layer (peer_layer.cc).
  absl::StatusOr<std::unique_ptr<peer::PeerPaths>> CreatePeerLayer(const State& st) const;
  // Installs `fresh` (when not null) and points the peer layer at state_'s crypto objects.
  void WirePeerLayer(std::unique_ptr<peer::PeerPaths> fresh);
  void PollPeerLayer(uint64_t now_ms);
  void ReceivePeerFrame(const Packet& pkt);
  static void PeerSinkThunk(void* self, size_t path, std::span<const uint8_t> frame);
  static void PeerEventThunk(void* self, const peer::PathEvent& event);
  void SendPeerFrame(size_t path, std::span<const uint8_t> frame);
  void OnPeerPathEvent(const peer::PathEvent& event);
  // Path choice, failover and revert (path_choice.cc).
  void PublishPeerPaths(bool all);    // the writer: changed records to the board
  void SyncPathBoard(uint64_t now_ms);  // every pipeline: what the board says, applied
  void RevertSessions(uint64_t now_ms);
  // New waypoints on path `path` of peer `peer` for `s` (session_move_failed when none or the
  // rebind fails), the session re-signalled there; MoveSession counts a move within its peer.
  bool RebindToPath(session::Session& s, size_t peer, size_t path, uint64_t now_ms);
  bool MoveSession(session::Session& s, size_t to_path, uint64_t now_ms);
  // A session whose peer has no usable path left: to the route of another peer its service may
  // take now (ChooseRoute), if any (§5.7).
  bool RerouteSession(session::Session& s, uint64_t now_ms);
  const config::ServicePolicy* ServicePolicyOf(size_t service) const;
  // The route a new session of `service` takes (route_choice.h), or null when none is usable
  // (counted: no_route without any route, no_usable_route otherwise).
  const config::ServiceRoute* ChooseRoute(size_t service, uint32_t* index);
  // The same without counting: RouteChooser::kNone when no route is usable (*sla_refused set
  // when a peer had usable paths but none within a strict SLA).
  uint32_t ChooseUsableRoute(size_t service, bool* sla_refused);
  // The route a session was given (Session::route).
  const config::ServiceRoute* SessionRoute(const session::Session& s) const {
    const auto& routes = router().service_routes;
    return s.route < routes.size() ? &routes[s.route] : nullptr;
  }
  // Removes a session the pipeline decided to end (Delete Session, replaced, reload).
  void Forget(session::Session& s, uint64_t now_ms);
  void OnRemoved(const session::Session& s, session::RemovalReason reason);
  static void RemovalThunk(void* self, const session::Session& s, session::RemovalReason r);
  void FlushTx();
  // Burst sealing (burst_seal.cc): DeferSeal takes a composed packet of ToPeer whose payload
  // sealing (when `encrypt`) and hop signing can be done with the burst (false: seal it now, as
  // before);
  // SealDeferred seals what was taken and finalizes those frames in their transmit queues.
  struct BurstSeal;
  void InitBurstSeal();
  bool DeferSeal(session::Session& s, PeerState& peer, const PeerPath& path, io::Frame& frame,
                 const ComposedLayout& lay, size_t md_len, size_t body_len, bool encrypt,
                 uint64_t now_ms);
  void SealDeferred();
  // Burst opening (burst_open.h): DeferOpen takes a fast-path packet from a peer at VerifyHop
  // (false: verify it now, as before); OpenDeferred opens what was taken and continues each
  // packet in order (also called before any packet that is not deferred).
  struct BurstOpen;
  bool DeferOpen(size_t interface, Packet& pkt, WanPacket& w, uint64_t now_ms);
  void OpenDeferred();
  bool OpenPending() const;
  void Count(PipelineCounter c, uint64_t n = 1) { counters_.Increment(c, n); }
  // Per-packet helpers of every role, defined inline in pipeline_internal.h.
  inline bool Finish(session::Session& s, session::Direction d, const session::TcpSegment& tcp,
                     uint64_t now_ms);
  inline bool ResolveL2(size_t interface, const util::IpAddress& next_hop, uint16_t vlan,
                        L2Header* l2);
  inline void Transmit(size_t interface, const io::Frame& frame);
  inline bool IsWan(size_t interface) const;
  // Flow class of a session from its forward key (session/flow_owner.h): the tuple's class when
  // it came from a LAN, the class of our waypoint port (the destination) when from a peer.
  inline int SessionClass(const session::FlowKey& forward) const;

  // TCP MSS clamping (mss_clamp.cc, §2.7.1): lowers the MSS option of a SYN / SYN-ACK of peer
  // session `s` (its TCP header starts `tcp`) to what fits the WAN path to the peer (outer family
  // IPv6 when `ipv6_outer`), per the peer's / WAN interface's enforce_mss; counts mss_clamped.
  void ClampSynMss(const session::Session& s, bool ipv6_outer, std::span<uint8_t> tcp);

  // Ingress (ingress.cc): LAN packets toward a peer, or local breakout.
  Disposition HandleLan(size_t interface, Packet& pkt, uint64_t now_ms);
  Disposition FirstPacket(size_t interface, Packet& pkt, uint64_t now_ms);
  Disposition ToPeer(session::Session& s, session::Direction d, Packet& pkt, uint64_t now_ms);
  Disposition LocalForward(session::Session& s, session::Direction d, Packet& pkt, uint64_t now_ms);
  // Adaptive encryption (ingress.cc, docs/protocol.md §4.10): decides from `payload` (the first
  // client payload, or server data when `from_client` is false) whether the payload of a session
  // of an adaptive service is encrypted; sets the session's flags and counts adaptive_plain /
  // adaptive_encrypted. A TCP session without enough client bytes stays pending.
  void AdaptiveDecide(session::Session& s, const packet::PacketInfo& info,
                      std::span<const uint8_t> payload, bool from_client);

  // WAN receive (wan_receive.cc): a packet from a peer, in steps. The cheap checks come first
  // (source peer, then session or cookie: neither means no HMAC work); then decode the clear
  // header section (it names the key), verify the hop authentication, decode the protected
  // payload section, resolve the session, update the metadata handshake; then egress (ToLan),
  // transit (Relay) or control (HandleControl). The per-packet steps are declared inline
  // (defined and used only in wan_receive.cc): the compiler may fold them back into HandleWan.
  Disposition HandleWan(size_t interface, Packet& pkt, uint64_t now_ms);
  inline PeerState* SourcePeer(size_t interface, const Packet& pkt);
  Disposition RecoverUnknownTuple(size_t interface, const Packet& pkt, PeerState& peer,
                                  std::span<uint8_t> payload, uint64_t now_ms);
  inline bool DecodeHeaderSection(WanPacket& w, bool has_cookie);
  inline bool VerifyHop(size_t interface, const Packet& pkt, WanPacket& w, uint64_t now_ms);
  inline bool DecodePayloadSection(WanPacket& w, uint64_t now_ms);
  inline std::optional<Disposition> ResolveSession(Packet& pkt, WanPacket& w, uint64_t now_ms);
  // A held session (by UUID) arriving on a new outer tuple: rebound when the move is fresh (TLV
  // 60), else refused (dropped, the sender asked to re-signal). nullopt: not held, or rebound.
  std::optional<Disposition> RebindMoved(const Packet& pkt, WanPacket& w, uint64_t now_ms);
  inline void UpdateHandshake(WanPacket& w, uint64_t now_ms);
  // Replay filter (replay_filter.{h,cc}, §6): true when the authenticated fast-path `payload` of
  // session `s` from `peer` is an exact re-send of one of the session's last packets (counted
  // replay_dropped); called only when replay_ exists. EnsureReplayFilter allocates replay_ once,
  // when a peer's receive policy of `st` asks for it (Init, Reload).
  bool Replayed(const session::Session& s, const PeerState& peer, std::span<const uint8_t> payload);
  void EnsureReplayFilter(const State& st);

  // Egress (egress.cc): toward the LAN.
  Disposition ToLan(session::Session& s, session::Direction d, Packet& pkt, size_t md_total,
                    size_t l4_payload_len, uint64_t now_ms);
  Disposition EgressFirst(PeerState& peer, Packet& pkt, const svr::Metadata& md, size_t md_total,
                          size_t l4_len, uint64_t now_ms);
  Disposition SendReset(size_t interface, Packet& pkt);

  // Transit (transit.cc). Intermediate router (§2.5 step 7): a session whose route is another
  // peer. The first packet creates a session between the two waypoint pairs; every packet is
  // relayed with its payload (ciphertext, IV) untouched, metadata rebuilt for the next hop from
  // the metadata received.
  Disposition TransitFirst(PeerState& from, const config::ServiceRoute& route, Packet& pkt,
                           const svr::Metadata& md, size_t md_total, size_t l4_len,
                           size_t tenant, size_t service, uint64_t now_ms);
  Disposition Relay(session::Session& s, session::Direction d, Packet& pkt,
                    const svr::Metadata* md_in, size_t md_total, size_t l4_len, uint64_t now_ms);

  // Control (control.cc): control messages received and sent (§2.16), NAT keep-alives.
  Disposition HandleControl(PeerState& peer, Packet& pkt, const svr::Metadata& md, uint64_t now_ms);
  // The session a control message received on outer tuple `key` is for (a miss: none is).
  session::LookupResult FindControlledSession(const session::FlowKey& key, const svr::Metadata& md);
  // Control packets (§2.16) on the outer tuple `outer` (as sent), always UDP (O-9).
  void SendControl(PeerState& peer, const session::FlowKey& outer, svr::ControlMessage reason,
                   const session::Session* s, uint64_t now_ms);
  bool RateLimitOk(PeerState& peer, uint64_t now_ms);
  bool RemovalDeleteOk(PeerState& peer, uint64_t now_ms);
  void SendKeepAlives(uint64_t now_ms, uint32_t budget);

  // Path MTU (pmtu.cc, §2.14.2; the path MTU is PeerState::path_mtu): a LAN packet that does
  // not fit once SVR is added is dropped and its sender told the size that fits (ICMP frag-needed for IPv4 with
  // DF, ICMPv6 Packet Too Big), rate limited; also used by local breakout over a smaller LAN MTU.
  Disposition PacketTooBig(Packet& pkt, uint32_t usable_mtu, uint64_t now_ms);
  bool TooBigAllowed(uint64_t now_ms);
  uint64_t too_big_tokens_ = 0;   // thousandths of a token
  uint64_t too_big_refill_ms_ = 0;
  bool too_big_started_ = false;

  // Peer hop (peer_hop.cc): peers, hop crypto, metadata encoding. FindPeer is per packet: inline
  // in pipeline_internal.h.
  inline PeerState* FindPeer(size_t interface, const util::IpAddress& address);
  // Index of the peer an outer tuple (as sent) goes to.
  size_t FindPeerIndexOnSide(const session::FlowKey& outer) const;
  // Appends the hop authentication to the L4 payload of a composed frame (len bytes so far),
  // finalizes lengths and checksums, checks the path MTU and queues the frame on `path` (a path of `peer`).
  // kDropped (counted) leaves the frame untransmitted: the caller still owns it.
  // fragment: the packet may be split into outer IPv4 / IPv6 fragments when it exceeds the path
  // MTU (an IPv4 LAN packet without DF or a reassembled datagram, §2.14.2; SendFragments). A
  // packet in the large frame is always split or copied into pool frames.
  Disposition HopSealAndSend(PeerState& peer, const PeerPath& path, io::Frame& frame, const ComposedLayout& lay,
                             size_t len, uint64_t now_ms, bool fragment = false);
  // Fragmentation (outer_fragment.cc, §2.14.2): splits the IP packet at l3_offset of
  // `frame` into IPv4 fragments (its id kept, or a fresh one from the worker's counter when
  // fresh_ipv4_id) or IPv6 fragments (a fragment header with NextFragmentId()) of at most `mtu`
  // bytes, and at most a pool frame, and queues them all on `interface` (frames from the pool,
  // all or none: no_frame). The large frame is never queued: all its pieces are copied, and it is
  // copied whole when it fits. Counts `sent` per fragment; kDropped (`fail` or no_frame counted)
  // leaves `frame` to the caller, unchanged.
  Disposition SendFragments(size_t interface, io::Frame& frame, uint32_t l3_offset, uint32_t mtu,
                            bool fresh_ipv4_id, PipelineCounter sent, PipelineCounter fail);
  // The large frame on a path that does not split (Transmit): copied into one pool frame.
  void TransmitLarge(size_t interface, const io::Frame& frame);
  uint32_t NextFragmentId();
  // LAN egress (lan_fragment.cc, §2.14.2): queues pkt's composed frame (IP header at l3_offset)
  // on LAN interface `interface`; a packet over the interface's MTU, or in the large frame, goes
  // to SendLanFragments: split when it may be (a datagram reassembled here, IPv4 without DF),
  // else dropped (lan_exceeds_mtu).
  inline Disposition SendToLan(size_t interface, Packet& pkt, uint32_t l3_offset,
                               bool fresh_ipv4_id);
  Disposition SendLanFragments(size_t interface, Packet& pkt, uint32_t l3_offset,
                               bool fresh_ipv4_id);
  // Whether a LAN packet may be split into IP fragments by this router.
  static bool MayFragment(const Packet& pkt);
  // SVR fragmentation (svr_fragment_path.cc, §2.14). SendSvrFragments: `frame` holds the composed
  // packet (metadata md_len bytes, then the body, payload-encrypted, len bytes in all, no hop
  // trailer); it is split per `plan` into fragments that each carry the Fragment TLV and their
  // own hop trailer, the first one in `frame` with the packet's metadata, the others in frames
  // from the pool (all or none). kDropped (counted) leaves `frame` to the caller.
  Disposition SendSvrFragments(PeerState& peer, const PeerPath& path, io::Frame& frame, const ComposedLayout& lay,
                               size_t md_len, size_t len, const SvrFragmentPlan& plan,
                               const packet::PacketInfo& inner, uint64_t now_ms);
  // An authenticated fragment from `peer` (header TLVs decoded into `md`, `layout`; `l4_len`
  // bytes of L4 payload without the hop trailer): held (kConsumed), dropped (kDropped, counted),
  // or, completing its datagram, the whole packet rebuilt in pkt (no hop trailer, no Fragment
  // TLV, pkt.info parsed again) and nullopt returned.
  std::optional<Disposition> ReassembleSvrFragment(Packet& pkt, const PeerState& peer,
                                                   const svr::Metadata& md,
                                                   const svr::MetadataLayout& layout,
                                                   size_t l4_len, uint64_t now_ms);
  void ExpireSvrFragments(uint64_t now_ms);
  // The WAN steps after the hop authentication (wan_receive.cc), shared by whole packets and
  // packets rebuilt from SVR fragments.
  Disposition HandleWanVerified(Packet& pkt, WanPacket& w, uint64_t now_ms);
  // Encodes the metadata of `s` for direction `d` into md_buf_; returns its size, 0 on failure.
  // health_only: just Security ID + a health-check request (TLV 46) for a live session.
  // tcp_syn: add TLV 12 (a UDP-transformed packet carrying the TCP SYN).
  size_t BuildMetadata(const session::Session& s, session::Direction d, PeerState& peer,
                       bool health_only, bool tcp_syn = false);
  size_t EncodeWith(PeerState& peer, svr::Metadata& md);
  // The opening router sends the session's metadata again with a higher move sequence (a move
  // to another path, or Enable SVR Metadata received): inline on any TCP segment (§2.9).
  static void Resignal(session::Session& s);

  PipelineOptions options_;  // options_.config is moved into state_ by Init
  State state_;
  std::unique_ptr<session::SessionTable> sessions_;
  std::unique_ptr<peer::PeerPaths> peer_paths_;            // when options_.run_peer_layer
  std::unique_ptr<PathBoard> own_board_;  // when running the peer layer without a shared board
  PathBoard* board_ = nullptr;            // options_.path_board or own_board_ (or null)
  uint64_t board_seen_ = ~uint64_t{0};    // the board generation last applied
  std::vector<PathRecord> published_;     // the writer's last record per peer-layer path
  std::vector<uint8_t> layer_up_;         // the writer's status per path (BFD events; 1 = up)
  uint64_t revert_due_ms_ = 0;            // pipeline clock of the next revert check (0: none)
  std::vector<ServiceCounts> service_counts_;  // by config service index
  // First-packet latency (ServiceCounts): the service of the session the packet being handled
  // created (kNoService: none), and the created sessions' first packets queued for TX since the
  // last flush, by service index; at most one per received frame of a burst plus the frames a
  // flush in the middle of the burst left (bounded by kMaxPendingSetups, the rest not measured).
  static constexpr uint32_t kNoService = ~uint32_t{0};
  static constexpr size_t kMaxPendingSetups = 256;
  uint32_t created_service_ = kNoService;
  std::array<uint32_t, kMaxPendingSetups> pending_setups_{};
  size_t pending_setup_count_ = 0;
  uint64_t burst_us_ = 0;                // clock (µs) of the start of the burst in progress
  uint64_t (*clock_us_)() = nullptr;     // options_.clock_us or CLOCK_MONOTONIC
  void RecordSetups();                   // FlushTx: one clock read, pending_setups_ recorded
  void ProcessBurstAt(size_t interface, std::span<io::Frame> frames, uint64_t now_ms,
                      uint64_t now_us, std::span<Disposition> dispositions);
  uint64_t peer_next_poll_ms_ = 0;                        // unix ms (CryptoNow) of the next Poll
  uint64_t rekey_next_ms_ = 0;  // unix ms (CryptoNow) of the next RekeyTick (rekey.cc)
  std::unique_ptr<SessionBudget> own_budget_;             // when options_.budget is null
  SessionBudget* budget_ = nullptr;                       // router-wide session limits
  // budget_'s counter of each tenant of state_'s config, by tenant index.
  std::vector<std::atomic<uint32_t>*> tenant_budget_;
  void ReleaseBudget(const session::Session& s);
  std::unique_ptr<UuidIndex> uuids_;                      // sessions created from metadata
  std::unique_ptr<ReplayFilter> replay_;                  // null unless a peer policy asks for it
  std::unique_ptr<IpReassembly> reassembly_;              // fixed pool, allocated by Init
  std::unique_ptr<svr::FragmentReassembler> svr_reassembly_;  // SVR fragments, allocated by Init
  uint32_t svr_fragment_id_ = 0;                          // Extended ID of the next datagram
  // The large frame (kLargeFrameSize, outer_fragment.h): a reassembled datagram that does not
  // fit its received frame is rebuilt and processed here; never given to a port or the pool.
  std::unique_ptr<uint8_t[]> large_;
  uint32_t large_pool_capacity_ = 0;  // capacity of the pool's frames (learnt when spilling)
  uint32_t fragment_id_ = 0;          // IPv6 / fresh IPv4 fragment ids (random start)
  std::vector<uint32_t> if_mtu_;      // config mtu per interface index
  std::vector<packet::MacAddress> macs_;
  std::vector<io::Port*> ports_;
  io::FramePool* pool_ = nullptr;
  uint64_t now_ms_ = 0;  // clock of the burst / sweep in progress (for callbacks)
  KeyRotation keys_;     // keys reloads took out of service, in their overlap (key_rotation.h)
  // The GCM nonce sequence of every PacketCrypto this pipeline builds, kept across reloads
  // (crypto::NonceSpace::sequence).
  std::unique_ptr<uint64_t> gcm_sequence_ = std::make_unique<uint64_t>(0);
  uint32_t keep_alive_cursor_ = 0;  // next slot the NAT keep-alive sweep looks at
  int64_t wall_offset_ms_ = 0;
  uint64_t CryptoNow(uint64_t now_ms) const {
    return static_cast<uint64_t>(static_cast<int64_t>(now_ms) + wall_offset_ms_);
  }
  SessionObserver observer_ = nullptr;
  void* observer_context_ = nullptr;
  void Notify(const session::Session& s, bool opened) {
    if (observer_ != nullptr) observer_(observer_context_, s, opened);
  }
  NeighborTable neighbors_;
  std::optional<crypto::IvGenerator> uuid_source_;

  // Per-burst transmit queues, one per interface.
  std::vector<std::vector<io::Frame>> tx_;
  std::array<uint8_t, 2048> md_buf_{};
  std::unique_ptr<BurstSeal> burst_;  // null: every packet is sealed one at a time
  std::unique_ptr<BurstOpen> open_;   // null: every packet is opened one at a time
  bool handed_off_ = false;  // the frame in Handle came from another worker: not steered again
  bool burst_now_ = false;            // the burst in progress is large enough to defer
  // Fewest received frames for which ProcessBurst defers sealing (crypto_bench: a burst of 8 x
  // 1400 B seals 1.8x faster per packet than OpenSSL, a burst of 1 5x slower).
  static constexpr size_t kMinSealBurst = 8;
  absl::Status burst_status_;

  util::CounterArray<PipelineCounter> counters_;
  util::CounterArray<policy::Verdict> policy_counters_;
  util::CounterArray<svr::DecodeResult> decode_counters_;
  util::CounterArray<packet::ParseResult> parse_counters_;
  svr::DecodeNotes decode_notes_;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_PIPELINE_H_
