using Npgsql;

namespace Immunise.Storage;

/// <summary>
/// Runs a transaction again when PostgreSQL chose it as the victim of a deadlock (or a serialisation failure): the work
/// rolled back completely, so doing it again is safe. Other errors, and a third failure, go to the caller.
/// </summary>
public static class Deadlocks
{
    public static async Task<T> RetryAsync<T>(Func<Task<T>> transaction)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction();
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt));
            }
        }
    }
}
