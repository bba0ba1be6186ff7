namespace Immunise.Common;

/// <summary>What went wrong, for a person or a program: a stable <see cref="Code"/> and a plain-English message.</summary>
public enum FailureKind
{
    Invalid,
    NotFound,
    Conflict,
    Forbidden,
}

public sealed record Failure(FailureKind Kind, string Code, string Message, string? Field = null)
{
    public static Failure Invalid(string code, string message, string? field = null) => new(FailureKind.Invalid, code, message, field);

    public static Failure NotFound(string code, string message) => new(FailureKind.NotFound, code, message);

    public static Failure Conflict(string code, string message, string? field = null) => new(FailureKind.Conflict, code, message, field);
}

/// <summary>A use case's answer: a value or a failure. Expected outcomes are values, not exceptions.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public bool Succeeded => Failure is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Failure failure) => new(default, failure);
}
