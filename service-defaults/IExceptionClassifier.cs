namespace ZeroPath.ServiceDefaults;

/// <summary>A host's knowledge of what an exception means for the caller, consulted before the generic mapping.</summary>
public interface IExceptionClassifier
{
    /// <summary>The problem to answer with, or null when this classifier does not recognise the exception.</summary>
    ExceptionProblem? Classify(Exception exception);
}

public sealed record ExceptionProblem(int Status, string Code, string Detail);
