using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Immunise.Storage;

/// <summary>
/// SQLite connections kept open for reads, each with the statements it has run still prepared. A read rents one, runs,
/// and returns it; there are never more than the reads running at once. Microsoft.Data.Sqlite finalises a command's
/// statements when its connection closes, so statements can only outlive a call on a connection that stays open.
/// </summary>
internal sealed class SqliteReads(Func<SqliteConnection> open) : IDisposable
{
    private readonly ConcurrentBag<Session> _idle = [];
    private bool _disposed;

    public Session Rent() => _idle.TryTake(out var session) ? session : new Session(open());

    public void Return(Session session)
    {
        if (!session.IsDisposed && !Volatile.Read(ref _disposed))
        {
            _idle.Add(session);
        }
        else
        {
            session.Dispose();
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    internal sealed class Session(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public bool IsDisposed { get; private set; }

        public SqliteCommand Command(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                if (_commands.Count >= 64)
                {
                    // Many distinct statements (filters combined differently): start again rather than grow without bound.
                    foreach (var old in _commands.Values)
                    {
                        old.Dispose();
                    }

                    _commands.Clear();
                }

                command = connection.CreateCommand();
                command.CommandText = sql;
                _commands[sql] = command;
            }

            return command;
        }

        public void Dispose()
        {
            if (IsDisposed)
            {
                return;
            }

            IsDisposed = true;
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            connection.Dispose();
        }
    }
}
