global using Xunit;
global using Phoenix.Simulator;
