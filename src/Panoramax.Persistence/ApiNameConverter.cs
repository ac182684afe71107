using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Panoramax.Domain.Abstractions;

namespace Panoramax.Persistence;

/// <summary>Stores an enum as its API word (<c>waiting-for-process</c>).</summary>
public sealed class ApiNameConverter<T>() : ValueConverter<T, string>(
    v => v.ToApiName(),
    s => ApiNames.ParseApiName<T>(s))
    where T : struct, Enum;
