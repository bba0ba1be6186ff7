using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Immunise.Storage;

/// <summary>
/// The SQLite connection this process writes through while it holds its write turn (<see cref="WriteTurn.OpenAsync"/>).
/// It stays open, so the statements run on it stay prepared: Microsoft.Data.Sqlite finalises a command's statements when
/// the command is disposed, and Dapper makes a new command for every call, so without this every write parsed and planned
/// its SQL afresh. Each command handed out looks new to its caller but runs on a prepared command with the same text.
/// Only the holder of the write turn uses it, one at a time, so it takes no lock of its own.
/// </summary>
internal sealed class SqliteWriterSession : IDisposable
{
    private const int MaxStatements = 128;
    private readonly Dictionary<string, Stack<SqliteCommand>> _idle = new(StringComparer.Ordinal);
    private int _kept;

    public SqliteWriterSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    public bool IsBroken { get; private set; }

    public SqliteCommand Take(string sql)
    {
        if (_idle.TryGetValue(sql, out var commands) && commands.TryPop(out var command))
        {
            _kept--;
            return command;
        }

        command = Connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public void Give(SqliteCommand command)
    {
        command.Parameters.Clear();
        command.Transaction = null;
        if (IsBroken || _kept >= MaxStatements)
        {
            command.Dispose();
            return;
        }

        if (!_idle.TryGetValue(command.CommandText, out var commands))
        {
            _idle[command.CommandText] = commands = new Stack<SqliteCommand>(1);
        }

        commands.Push(command);
        _kept++;
    }

    /// <summary>
    /// Called when a lease ends. A transaction still open here was not ended by its owner (a bug, or an error the driver
    /// could not roll back): the session is not trusted again and a new one is opened for the next turn.
    /// </summary>
    public void EndLease()
    {
        if (Connection.State != ConnectionState.Open || SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) == 0)
        {
            IsBroken = true;
        }
    }

    public void Dispose()
    {
        IsBroken = true;
        foreach (var command in _idle.Values.SelectMany(c => c))
        {
            command.Dispose();
        }

        _idle.Clear();
        Connection.Dispose();
    }
}

/// <summary>One use of the <see cref="SqliteWriterSession"/>, as an ordinary connection (disposing it leaves the session open).</summary>
[SuppressMessage("Design", "CA1063:Implement IDisposable Correctly", Justification = "DbConnection's dispose pattern.")]
internal sealed class SqliteWriterConnection(SqliteWriterSession session) : DbConnection
{
    private bool _ended;

    /// <summary>The kept connection underneath (for tests and diagnostics).</summary>
    internal SqliteConnection Underlying => session.Connection;

    [AllowNull]
    public override string ConnectionString
    {
        get => session.Connection.ConnectionString;
        set => throw new NotSupportedException("The writer connection's settings are fixed.");
    }

    public override string Database => session.Connection.Database;

    public override string DataSource => session.Connection.DataSource;

    public override string ServerVersion => session.Connection.ServerVersion;

    public override ConnectionState State => _ended ? ConnectionState.Closed : session.Connection.State;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Open()
    {
        if (_ended)
        {
            throw new InvalidOperationException("This use of the writer connection has ended.");
        }
    }

    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        Open();
        return Task.CompletedTask;
    }

    public override void Close() => End();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => session.Connection.BeginTransaction(isolationLevel);

    protected override DbCommand CreateDbCommand() => new Command(this, session);

    protected override void Dispose(bool disposing)
    {
        End();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        End();
        return base.DisposeAsync();
    }

    private void End()
    {
        if (!_ended)
        {
            _ended = true;
            session.EndLease();
        }
    }

    /// <summary>A command that runs on a prepared command of the session with the same text.</summary>
    private sealed class Command(SqliteWriterConnection owner, SqliteWriterSession session) : DbCommand
    {
        private SqliteCommand? _prepared;
        private SqliteTransaction? _transaction;
        private SqliteCommand? _unattached;

        [AllowNull]
        public override string CommandText
        {
            get => _prepared?.CommandText ?? _unattached?.CommandText ?? "";
            set
            {
                var parameters = (_prepared ?? _unattached)?.Parameters.Cast<SqliteParameter>().ToList();
                Release();
                _unattached?.Dispose();
                _unattached = null;
                _prepared = session.Take(value ?? "");
                _prepared.Transaction = _transaction;
                foreach (var parameter in parameters ?? [])
                {
                    _prepared.Parameters.Add(parameter);
                }
            }
        }

        public override int CommandTimeout { get; set; } = 30;

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                {
                    throw new NotSupportedException("SQLite runs text commands only.");
                }
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => owner;
            set => throw new NotSupportedException("A writer command belongs to its connection.");
        }

        protected override DbParameterCollection DbParameterCollection => Current.Parameters;

        protected override DbTransaction? DbTransaction
        {
            get => _transaction;
            set
            {
                _transaction = (SqliteTransaction?)value;
                Current.Transaction = _transaction;
            }
        }

        /// <summary>The prepared command, or (parameters added before the text) a scratch one whose parameters move over.</summary>
        private SqliteCommand Current => _prepared ?? (_unattached ??= new SqliteCommand());

        public override void Cancel() => _prepared?.Cancel();

        public override int ExecuteNonQuery() => Ready().ExecuteNonQuery();

        public override object? ExecuteScalar() => Ready().ExecuteScalar();

        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => Ready().ExecuteNonQueryAsync(cancellationToken);

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => Ready().ExecuteScalarAsync(cancellationToken);

        public override void Prepare() => Ready().Prepare();

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Ready().ExecuteReader(behavior);

        protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
            await Ready().ExecuteReaderAsync(behavior, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Release();
                _unattached?.Dispose();
                _unattached = null;
            }

            base.Dispose(disposing);
        }

        private SqliteCommand Ready()
        {
            if (owner.State != ConnectionState.Open)
            {
                throw new InvalidOperationException("This use of the writer connection has ended.");
            }

            return _prepared ?? throw new InvalidOperationException("The command has no text.");
        }

        private void Release()
        {
            if (_prepared is { } prepared)
            {
                _prepared = null;
                session.Give(prepared);
            }
        }
    }
}
