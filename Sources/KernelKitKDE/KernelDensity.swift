/// Kernel density estimation, public and differentially private (Backurs et al., ICLR 2024).
public enum KernelDensity {}
