using Panoramax.Persistence;

namespace Panoramax.Server.Http;

/// <summary>
/// Marks a handler's <see cref="Npgsql.NpgsqlDataSource"/> parameter as the read routes' pool
/// (<see cref="PersistenceExtensions.ReadPool"/>) instead of the shared one.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ReadPoolAttribute() : FromKeyedServicesAttribute(PersistenceExtensions.ReadPool);
