/// Log-scale modified Bessel functions and von Mises–Fisher distributions (Plesner, Sørensen & Hauberg, ICS 2024).
public enum LogBessel {}
