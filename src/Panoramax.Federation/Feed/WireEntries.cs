using System.Text;
using Google.Protobuf;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Signing;
using WireKind = Panoramax.Federation.Protocol.V1.EntityKind;
using WireOp = Panoramax.Federation.Protocol.V1.ChangeOp;

namespace Panoramax.Federation.Feed;

/// <summary>Conversions between stored change-log entries and their wire form; the bytes that are hashed never change on the way.</summary>
public static class WireEntries
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ChangeEntry ToWire(ChangeLogEntry e) => new()
    {
        OriginId = e.OriginInstanceId.ToString(),
        Seq = e.Seq,
        Kind = e.EntityKind switch
        {
            Domain.Federation.EntityKind.Sequence => WireKind.Sequence,
            Domain.Federation.EntityKind.Picture => WireKind.Picture,
            _ => WireKind.Account,
        },
        EntityId = e.EntityId.ToString(),
        Op = e.Op == Domain.Federation.ChangeOp.Tombstone ? WireOp.Tombstone : WireOp.Upsert,
        EntityVersion = e.EntityVersion,
        CreatedAtUs = FeedCrypto.ToUnixMicros(e.CreatedAt),
        Payload = e.Payload is null ? ByteString.Empty : ByteString.CopyFromUtf8(e.Payload),
        PayloadHash = ByteString.CopyFrom(e.PayloadHash ?? new byte[FeedCrypto.HashSize]),
        PrevHash = ByteString.CopyFrom(e.PrevHash ?? new byte[FeedCrypto.HashSize]),
        Signature = e.Signature is null ? ByteString.Empty : ByteString.CopyFrom(e.Signature),
    };

    /// <summary>The stored form of a received entry, or null when a field is malformed.</summary>
    public static ChangeLogEntry? FromWire(ChangeEntry w)
    {
        if (!Guid.TryParse(w.OriginId, out var origin) || !Guid.TryParse(w.EntityId, out var entity) || w.Seq < 1
            || w.PayloadHash.Length != FeedCrypto.HashSize || w.PrevHash.Length != FeedCrypto.HashSize
            || (w.Signature.Length != 0 && w.Signature.Length != FeedCrypto.SignatureSize))
        {
            return null;
        }
        Domain.Federation.EntityKind? kind = w.Kind switch
        {
            WireKind.Sequence => Domain.Federation.EntityKind.Sequence,
            WireKind.Picture => Domain.Federation.EntityKind.Picture,
            WireKind.Account => Domain.Federation.EntityKind.Account,
            _ => null,
        };
        Domain.Federation.ChangeOp? op = w.Op switch
        {
            WireOp.Upsert => Domain.Federation.ChangeOp.Upsert,
            WireOp.Tombstone => Domain.Federation.ChangeOp.Tombstone,
            _ => null,
        };
        if (kind is null || op is null)
        {
            return null;
        }
        string? payload = null;
        if (!w.Payload.IsEmpty)
        {
            try
            {
                payload = StrictUtf8.GetString(w.Payload.Span);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }
        return new ChangeLogEntry
        {
            OriginInstanceId = origin,
            Seq = w.Seq,
            EntityKind = kind.Value,
            EntityId = entity,
            Op = op.Value,
            EntityVersion = w.EntityVersion,
            CreatedAt = FeedCrypto.FromUnixMicros(w.CreatedAtUs),
            Payload = payload,
            PayloadHash = op == Domain.Federation.ChangeOp.Tombstone ? null : w.PayloadHash.ToByteArray(),
            PrevHash = w.Seq == 1 ? null : w.PrevHash.ToByteArray(),
            Signature = w.Signature.IsEmpty ? null : w.Signature.ToByteArray(),
        };
    }
}
